// Form checks that mirror the services' own (xuncha_shared.crypto.InformantIdentity,
// contracts.common): a form refuses what the API would refuse, with the same reasons.

/** phone: digits, spaces, +, -, ( and ), 3–32 characters, at least 3 digits (as the API) */
const PHONE_RE = /^\+?[0-9()\- ]{3,32}$/;

export function phoneError(value: string): string | null {
  const v = value.trim();
  if (!v) return null;
  const digits = (v.match(/\d/g) ?? []).length;
  if (!PHONE_RE.test(v) || digits < 3) {
    return "电话号码只能包含数字、空格、+、-和括号";
  }
  // as the petition form's API (intake's InformantIn): a number the reporter can be reached at
  if (digits < 7 || digits > 15) return "电话号码应为 7 至 15 位数字（手机 11 位，固定电话可加区号）";
  return null;
}

const ID_RE = /^\d{17}[\dX]$/;
const ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK = "10X98765432";

/** GB 11643 check character of the first 17 digits of a resident ID number. */
export function idCheckChar(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * ID_WEIGHTS[i];
  return ID_CHECK[sum % 11];
}

/** An 18-character PRC resident ID: format, birth date, check character (as the API). */
export function idNumberError(value: string, today: Date = new Date()): string | null {
  const v = value.trim().toUpperCase();
  if (!v) return null;
  if (!ID_RE.test(v)) return "身份证号应为 17 位数字加 1 位校验码（数字或 X）";
  const y = Number(v.slice(6, 10));
  const m = Number(v.slice(10, 12));
  const d = Number(v.slice(12, 14));
  const born = new Date(Date.UTC(y, m - 1, d));
  if (born.getUTCFullYear() !== y || born.getUTCMonth() !== m - 1 || born.getUTCDate() !== d) {
    return "身份证号中的出生日期无效";
  }
  if (y < 1900 || born.getTime() > today.getTime()) return "身份证号中的出生日期不合理";
  if (idCheckChar(v.slice(0, 17)) !== v[17]) return "身份证号校验码不正确";
  return null;
}

/** ShortText / LongText of the contracts: 1–200 / 1–5000 characters after trimming. */
export function textError(value: string, max: number, label: string): string | null {
  const v = value.trim();
  if (!v) return `请填写${label}`;
  if (v.length > max) return `${label}不能超过 ${max} 个字`;
  return null;
}

/** An Element Plus form rule from a check returning a message or null (`required` only marks
 *  the field with an asterisk: the check itself decides, in Chinese). */
export function rule(check: (value: string) => string | null, trigger = "blur", required = false) {
  return {
    trigger,
    required,
    validator: (_r: unknown, value: unknown, callback: (e?: Error) => void) => {
      const msg = check(typeof value === "string" ? value : value == null ? "" : String(value));
      if (msg) callback(new Error(msg));
      else callback();
    },
  };
}

// A petition's summary leaves intake in clear text (R11), as xuncha_shared.domain.personal_numbers
// says (intake and clues: same patterns): intake seals a petition's phone and ID numbers (with the
// reporter's identity, or on their own for an anonymous petition), leaving a mark; a clue's summary
// must not carry them at all.
const NUMBER_PATTERNS: [string, RegExp][] = [
  ["身份证号码", /(?<![0-9])[1-9][0-9]{5}(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx](?![0-9A-Za-z])/g],
  ["电话号码", /(?<![0-9])(?:(?:\+|00)?86[- ]?)?1[3-9][0-9](?:[- ]?[0-9]{4}){2}(?![0-9])/g],
  ["电话号码", /(?<![0-9])(?:0[1-9][0-9]{1,2}[- ]|\(0[1-9][0-9]{1,2}\) ?)[1-9][0-9]{6,7}(?![0-9])/g],
];

/** The personal numbers in a summary by kind, never the numbers: null when there is none. */
export function summaryNumbers(value: string): string | null {
  let rest = value.normalize("NFKC");
  const counts = new Map<string, number>();
  for (const [kind, re] of NUMBER_PATTERNS) {
    const n = (rest.match(re) ?? []).length;
    if (n) counts.set(kind, (counts.get(kind) ?? 0) + n);
    rest = rest.replace(re, " ");
  }
  if (!counts.size) return null;
  return [...counts].map(([kind, n]) => `${kind}（${n} 处）`).join("、");
}

/** Why a clue's summary cannot be sent (null: it can): it carries a phone or ID number (R11). A
 * petition's numbers are no error: intake seals them. */
export function summaryNumbersError(value: string): string | null {
  const found = summaryNumbers(value);
  if (!found) return null;
  return `摘要中含有${found}：线索摘要不得包含举报人的电话号码或身份证号（R11）`;
}

/** Whether a clue summary obviously carries a reporter's identity (R11): the same numbers as a
 * petition's summary (the clues service refuses them with a 422 too). */
export function hasIdentity(text: string): boolean {
  return summaryNumbersError(text) !== null;
}

/** The calendar day a date picker's cell stands for (its local date, never shifted to UTC). */
export function pickerDay(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** 补录 (R26): the first day a date written on paper may name, a term (5 years) before `today`
 * (YYYY-MM-DD; 29 February: the 28th), as the clues service counts. */
export function earliestPaperDay(today: string): string {
  const day = `${Number(today.slice(0, 4)) - 5}${today.slice(4)}`;
  return day.endsWith("-02-29") ? day.slice(0, 8) + "28" : day;
}

/** 补录 (R26): why a day written on paper (YYYY-MM-DD; empty: none, the day it is recorded) is
 * refused, as the clues service would: after `today` (China time), more than a term back, or
 * before `notBefore` (a transfer: the clue's registration day). Null when it is fine. */
export function paperDateError(
  value: string,
  today: string,
  label: string,
  notBefore?: { day: string; label: string },
): string | null {
  const v = value.trim();
  if (!v) return null;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) return `${label}格式应为 年-月-日`;
  if (v > today) return `${label}不能晚于今天（${today}）`;
  const earliest = earliestPaperDay(today);
  if (v < earliest) return `${label}不能早于五年前（${earliest}）`;
  if (notBefore && v < notBefore.day) return `${label}不能早于${notBefore.label}（${notBefore.day}）`;
  return null;
}

/** What a person typed into a day field, as YYYY-MM-DD: 2026-11-1, 2026/11/01, 2026.11.01 and
 *  20261101 are read as that day; "" for nothing typed; null for text that is not a real day
 *  (2026-02-30, 2026-13-01, letters). */
export function typedDay(text: string): string | null {
  const t = text.trim();
  if (!t) return "";
  const m = /^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$/.exec(t) ?? /^(\d{4})(\d{2})(\d{2})$/.exec(t);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${y}-${pad(mo)}-${pad(d)}`;
}

/** The moment typed into a date-time field, in the browser's own time (2025-01-31 09:30:00,
 *  2025-1-31 9:30, 2025-01-31: its midnight); null when the text is no such moment. */
export function typedMoment(text: string): Date | null {
  const m = /^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$/.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi, se] = [m[1], m[2], m[3], m[4] ?? "0", m[5] ?? "0", m[6] ?? "0"].map(Number);
  if (h > 23 || mi > 59 || se > 59) return null;
  const at = new Date(y, mo - 1, d, h, mi, se);
  return at.getFullYear() === y && at.getMonth() === mo - 1 && at.getDate() === d ? at : null;
}

/** The rule of a day something is due (督办时限, a task's new 完成时限): today or later, as the
 *  services refuse an earlier one; for DayPicker's `refuse`. */
export function notBeforeToday(today: string, label: string): (day: string) => string | null {
  return (day) => (day < today ? `${label}不能早于今天（${today}）` : null);
}

/** The rule of a day something was done (检查日期, 发布日期, 纳入日期 …): not after today, as the
 *  services refuse it; for DayPicker's `refuse`. */
export function notAfterToday(today: string, label: string): (day: string) => string | null {
  return (day) => (day > today ? `${label}不能晚于今天（${today}）` : null);
}

/** Why a typed receipt code (回执码) is not one, before it is looked up (null: it may be one):
 *  the public page and 信访受理's lookup say the same. */
export function receiptCodeError(typed: string): string | null {
  const wanted = typed.trim().toUpperCase();
  if (!wanted) return "请输入回执码";
  if (!/^(XC)?[0-9A-Z]{12}([0-9A-Z]{8})?$/.test(wanted.replace(/[\s-]/g, ""))) {
    return "回执码格式不正确（形如 XC-7KQ4-M2PD-9TRA-5HXE-W3NB）";
  }
  return null;
}

/** a topic's length at most as newly given (the services' ``TOPIC_MAX_CHARS``) */
export const TOPIC_MAX = 30;

/** Why the topics chosen are not taken (null: they are): a new one longer than TOPIC_MAX; those
 *  the record already has (``kept``) stay whatever their length. ``detailsIn``: where the
 *  details go instead (线索摘要, 问题). */
export function topicError(topics: readonly string[], kept: readonly string[], detailsIn: string): string | null {
  const long = topics.map((t) => t.trim()).find((t) => t.length > TOPIC_MAX && !kept.includes(t));
  return long ? `主题“${long.slice(0, 12)}…”过长：每个主题不超过 ${TOPIC_MAX} 字，详情请写在${detailsIn}中` : null;
}

/** Why a day typed into a field is not taken: its format, or the field's own rule (`refuse`,
 *  the reason a day may not be chosen, null when it may); null when it is taken. */
export function typedDayError(text: string, refuse: ((day: string) => string | null) | undefined, label = "日期"): string | null {
  const day = typedDay(text);
  if (day === null) return `${label}“${text.trim()}”不是有效日期，格式应为 年-月-日`;
  if (!day || !refuse) return null;
  const why = refuse(day);
  // the field is emptied: say which day was typed and not taken
  return why && `所填 ${day} 未采用：${why}`;
}

// 来访接待 (R13): the receiving leader's post, never a person (intake's `domain/walk_ins.post_problem`;
// tests/unit/services/test_intake_walk_in_post.py keeps both lists the same)
export const POST_TITLES = ["组长", "主任", "书记", "部长", "局长", "处长", "科长", "主席", "委员", "秘书长", "县长", "区长", "市长", "镇长", "乡长", "院长", "队长", "专员", "联络员"];
export const BODY_CHARACTERS = "组办委局部室处科厅院会队站所中心市县区镇乡村街道党政府纪监巡察";
/** the posts the walk-in form suggests */
export const RECEIVING_POSTS = ["巡察组组长", "巡察组副组长", "巡察办主任", "巡察办副主任"];

/** Why `value` is not a receiving leader's post (null: it is one, or it is empty): a title alone
 *  (组长) or after the words of its body (巡察组组长); a name, or a surname before a title
 *  (王组长), is refused. */
export function postError(value: string): string | null {
  const text = value.trim();
  if (!text) return null;
  const title = POST_TITLES.find((t) => text.endsWith(t));
  let before = title ? text.slice(0, text.length - title.length) : text;
  if (before.endsWith("副")) before = before.slice(0, -1); // 副组长: the title's own
  if (!title || (before && ![...before].some((c) => BODY_CHARACTERS.includes(c)))) {
    return "请只填写接待领导的职务，如“巡察组组长”“巡察办主任”，不填姓名或姓氏";
  }
  return null;
}

/** A name of a unit, a person or a post holds a word: not only digits or symbols (as the
 *  services' `NameText`); null when it does, or when it is empty. */
export function wordedError(value: string): string | null {
  const v = value.trim();
  return v && !/\p{L}/u.test(v) ? "应包含文字，不能只有数字或符号" : null;
}

// 向社会公开 (R5): what never goes to the public, as rectification's `domain/publication.sensitive`
// finds it in the text made half-width and upper case: an ID number (18 characters with the
// birth date, or the old 15 digits) and a receipt code (XC and 20 symbols, or the older 12)
const SEP = String.raw`[\s\-_]*`;
const DAY = String.raw`(?:0[1-9]|1[0-2])${SEP}(?:0[1-9]|[12][0-9]|3[01])`;
const PUBLIC_ID_NUMBERS = [
  new RegExp(String.raw`(?<![0-9])[1-9][0-9]{5}${SEP}(?:18|19|20)[0-9]{2}${SEP}${DAY}${SEP}[0-9]{3}[0-9X](?![0-9])`),
  new RegExp(String.raw`(?<![0-9])[1-9][0-9]{5}${SEP}[0-9]{2}${DAY}${SEP}[0-9]{3}(?![0-9X])`),
];
const PUBLIC_RECEIPT = new RegExp(String.raw`(?<![0-9A-Z])(?:XC${SEP})?[0-9A-Z]{4}(?:${SEP}[0-9A-Z]{4}){2,4}`, "g");

function receiptLike(candidate: string): boolean {
  let symbols = candidate.replace(/[^0-9A-Z]/g, "");
  if (symbols.startsWith("XC") && [12, 20].includes(symbols.length - 2)) symbols = symbols.slice(2);
  return [12, 20].includes(symbols.length) && /[0-9]/.test(symbols) && /[A-Z]/.test(symbols);
}

/** Why a text may not go to the public (null: it may): it holds an ID number or a receipt code. */
export function publicTextError(text: string): string | null {
  const plain = text.normalize("NFKC").toUpperCase();
  if (PUBLIC_ID_NUMBERS.some((re) => re.test(plain))) return "向社会公开的内容不得含有身份证号码";
  if ([...plain.matchAll(PUBLIC_RECEIPT)].some((m) => receiptLike(m[0]))) return "向社会公开的内容不得含有举报回执码";
  return null;
}
