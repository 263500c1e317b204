// RFC 9457 problem details from the services, turned into Chinese messages for the forms.
// A 422 carries `errors: [{field: "body.informant.phone", msg, type}]`; each goes next to the
// form field it concerns (key "informant.phone"), the rest into one summary line.

import {
  CADRE_LEVELS, CATEGORIES, CHANNELS, CLUE_STATUS, DEPARTMENTS, DISPOSITIONS,
  INSPECTION_REPORT_KINDS, MEETINGS, RECT_TYPES,
} from "../labels";
import {
  INTERVIEWEES, RECORD_KINDS, REFERRAL_SOURCES, ROUND_KINDS, SOURCES, SPECIALITIES, SURVEYS,
  UNIT_KINDS,
} from "../rounds";

export interface FieldProblem {
  field: string;
  msg: string;
  type: string;
}

export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  errors?: FieldProblem[];
  [member: string]: unknown;
}

const STATUS_ZH: Record<number, string> = {
  400: "请求格式有误",
  401: "登录已失效或令牌无效，请重新登录",
  403: "无权执行此操作",
  404: "未找到相应记录",
  409: "当前状态不允许此操作",
  410: "该信息已不可用",
  413: "提交的内容过大（佐证材料单个文件不超过20MB）",
  422: "输入有误，请检查标红的字段",
  429: "操作过于频繁，请稍后再试",
  502: "服务暂时不可用，请稍后再试",
  503: "服务暂时不可用，请稍后再试",
  504: "服务响应超时，请稍后再试",
};

/** The Chinese line for a status (and a generic one for anything else). */
export function statusZh(status: number): string {
  if (STATUS_ZH[status]) return STATUS_ZH[status];
  if (status >= 500) return "服务出错，请稍后再试";
  if (status === 0) return "无法连接服务器，请检查网络";
  return `请求失败（${status}）`;
}

const HAS_CJK = /[\u3400-\u9fff]/;

/** The Chinese half of a service's "中文 / english" detail, or null when it has none. */
export function chinesePart(detail: string | undefined): string | null {
  if (!detail) return null;
  // "中文 / English": the Chinese half, also where the slash follows a full-width bracket
  const zh = detail.split(/\s*\/ (?=[A-Za-z0-9(])/)[0].trim();
  return HAS_CJK.test(zh) ? readable(zh) : null;
}

// the codes a service's Chinese reason may still carry, in the workbench's words
const CODE_ZH: Record<string, string> = {
  ...CHANNELS, ...CLUE_STATUS, ...DISPOSITIONS, ...CATEGORIES, ...CADRE_LEVELS, ...DEPARTMENTS,
  ...RECT_TYPES, ...INSPECTION_REPORT_KINDS, ...MEETINGS, ...UNIT_KINDS, ...ROUND_KINDS,
  ...SOURCES, ...SPECIALITIES, ...RECORD_KINDS, ...INTERVIEWEES, ...SURVEYS, ...REFERRAL_SOURCES,
};
const UUID_IN_TEXT = /\s*[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\s*/gi;

/** A Chinese reason as a person reads it: record ids left out (the English half keeps them
 *  for the operators), a code in brackets after its Chinese name dropped, a code alone named in
 *  Chinese. */
export function readable(zh: string): string {
  return zh
    .replace(UUID_IN_TEXT, "")
    .replace(/\s*\([a-z]+(?:_[a-z]+)*\)/g, "")
    .replace(/\s*[（(]\s*[)）]/g, "")
    .replace(/\b[a-z]+(?:_[a-z]+)+\b/g, (code) => CODE_ZH[code] ?? code)
    .replace(/(\b[a-z]+\b)(?=\s*[\u4e00-\u9fff])/g, (code) => CODE_ZH[code] ?? code)
    .trim();
}

// messages of the services' own validators (xuncha_shared.crypto and the request models)
const KNOWN_MESSAGES: [RegExp, string][] = [
  [/phone number has digits/i, "电话号码只能包含数字、空格、+、-和括号"],
  [/phone number has \d+ to \d+ digits/i, "电话号码应为 7 至 15 位数字（手机 11 位，固定电话可加区号）"],
  [/17 digits and a check digit/i, "身份证号应为 17 位数字加 1 位校验码（数字或 X）"],
  [/no valid birth date/i, "身份证号中的出生日期无效"],
  [/no plausible birth date/i, "身份证号中的出生日期不合理"],
  [/check character does not match/i, "身份证号校验码不正确"],
  [/unknown jurisdiction|not a jurisdiction of/i, "未知的行政区划"],
  [/must not be blank/i, "不能为空"],
  // a date left empty (or cut short): what the person has to do, not "the format is wrong"
  [/valid date.*input is too short/i, "请填写日期（年-月-日）"],
];

const TYPE_ZH: Record<string, string> = {
  missing: "必填",
  string_too_short: "不能为空",
  string_too_long: "超出长度上限",
  string_pattern_mismatch: "格式不正确",
  string_type: "应为文本",
  enum: "取值不在允许范围内",
  literal_error: "取值不在允许范围内",
  int_parsing: "应为整数",
  int_type: "应为整数",
  greater_than_equal: "数值过小",
  less_than_equal: "数值过大",
  bool_parsing: "应为是或否",
  bool_type: "应为是或否",
  too_short: "至少需要一项",
  too_long: "项目过多",
  extra_forbidden: "不允许的字段",
  uuid_parsing: "编号格式不正确",
  datetime_from_date_parsing: "日期格式不正确",
  datetime_parsing: "日期格式不正确",
  date_parsing: "日期格式不正确",
  date_from_datetime_parsing: "日期格式不正确",
  date_from_datetime_inexact: "日期格式不正确",
  date_type: "日期格式不正确",
  greater_than: "数值过小",
  less_than: "数值过大",
  uuid_type: "编号格式不正确",
  json_invalid: "内容格式不正确",
  float_parsing: "应为数字",
  float_type: "应为数字",
  list_type: "应为列表",
  dict_type: "格式不正确",
};

/** the limit a length or range error states, said with its Chinese message (pydantic's
 *  "String should have at most 200 characters", "Input should be less than or equal to 100") */
const LIMITS: Record<string, [RegExp, (n: string) => string]> = {
  string_too_long: [/at most (\d+) character/, (n) => `超出长度上限（最多 ${n} 个字）`],
  string_too_short: [/at least (\d+) character/, (n) => (n === "1" ? "不能为空" : `至少 ${n} 个字`)],
  too_long: [/at most (\d+) item/, (n) => `项目过多（最多 ${n} 项）`],
  too_short: [/at least (\d+) item/, (n) => `至少需要 ${n} 项`],
  greater_than_equal: [/greater than or equal to (-?[\d.]+)/, (n) => `数值过小（不能小于 ${n}）`],
  less_than_equal: [/less than or equal to (-?[\d.]+)/, (n) => `数值过大（不能大于 ${n}）`],
  greater_than: [/greater than (-?[\d.]+)/, (n) => `数值过小（应大于 ${n}）`],
  less_than: [/less than (-?[\d.]+)/, (n) => `数值过大（应小于 ${n}）`],
};

/** One field error in Chinese. */
export function fieldMessageZh(problem: FieldProblem): string {
  for (const [pattern, zh] of KNOWN_MESSAGES) {
    if (pattern.test(problem.msg)) return zh;
  }
  const limit = LIMITS[problem.type];
  const stated = limit ? limit[0].exec(problem.msg) : null;
  if (limit && stated) return limit[1](stated[1]);
  const zh = TYPE_ZH[problem.type];
  if (zh) return zh;
  // a validator's own reason, after pydantic's "Value error, " lead-in
  const said = problem.msg.replace(/^(Value error|Assertion failed), /, "");
  return HAS_CJK.test(said) ? (chinesePart(said) ?? said) : "输入有误，请检查该项";
}

/** "body.informant.phone" -> "informant.phone"; "query.unit" -> "unit"; list indexes kept:
 *  "body.issues.0.description" -> "issues.0.description". */
export function fieldKey(field: string): string {
  const parts = field.split(".");
  if (["body", "query", "path", "header"].includes(parts[0])) parts.shift();
  return parts.join(".");
}

export interface ProblemZh {
  /** one line for the alert above the form */
  summary: string;
  /** Chinese messages by form field key */
  fields: Record<string, string>;
}

/** Everything a page shows for a problem: a summary line and the per-field messages. */
export function problemZh(problem: Problem): ProblemZh {
  const fields: Record<string, string> = {};
  for (const err of problem.errors ?? []) {
    const key = fieldKey(err.field);
    if (!fields[key]) fields[key] = fieldMessageZh(err);
  }
  const reason = chinesePart(problem.detail);
  if (problem.status === 422 && Object.keys(fields).length === 0) {
    // a refusal of the request as a whole (a date outside the round, a file of a type not
    // accepted): nothing to mark red, so the reason is the message
    return { summary: reason ? `输入有误：${reason}` : "输入有误，请检查填写的内容", fields };
  }
  let summary = statusZh(problem.status);
  if (problem.status === 422) return { summary, fields }; // the fields marked red say why
  // a conflict the service explains (a name taken, a rule of the case's state): its reason
  // alone, as a person says it; "当前状态不允许此操作" before a taken name reads wrong
  if (problem.status === 409 && reason) return { summary: reason, fields };
  // a service that is down says so itself and when to try again ("数据库暂时不可用，请稍后
  // 重试"): its words alone, not "请稍后再试" twice
  if (problem.status >= 500 && reason && /稍后/.test(reason)) return { summary: reason, fields };
  if (reason && !reason.startsWith(summary)) summary = `${summary}：${reason}`;
  else if (reason) summary = reason; // the service said it in the same words: once
  // a detail without Chinese is not shown: the workbench speaks Chinese, and the status line
  // says what happened (the English reason stays in the response, for the operators)
  return { summary, fields };
}

/** A failed API call: status, its problem document and the Chinese rendering of it. */
export class ApiError extends Error {
  readonly status: number;
  readonly problem: Problem;
  readonly zh: ProblemZh;

  constructor(problem: Problem) {
    const zh = problemZh(problem);
    super(zh.summary);
    this.name = "ApiError";
    this.status = problem.status;
    this.problem = problem;
    this.zh = zh;
  }

  /** the message for form field `key` (e.g. "informant.phone"), if the service named it */
  field(key: string): string | undefined {
    return this.zh.fields[key];
  }
}

/** Chinese summary of anything thrown by a request. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) return err.zh.summary;
  return statusZh(0);
}
