import { describe, expect, it } from "vitest";
import { RECEIVING_POSTS, earliestPaperDay, idCheckChar, idNumberError, paperDateError, phoneError, pickerDay, postError, rule, summaryNumbers, summaryNumbersError, textError, publicTextError, receiptCodeError, topicError, typedDay, typedDayError, typedMoment, wordedError } from "../src/validation";

describe("phone numbers (as xuncha_shared.crypto.InformantIdentity)", () => {
  it.each(["13979461234", "+86 139-7946-1234", "(0794) 8221234", "8221234"])("accepts %s", (v) => {
    expect(phoneError(v)).toBeNull();
  });
  // as intake's InformantIn: a number the reporter can be reached at
  it.each(["123", "110", "822123", "1234567890123456"])("refuses %s: not a number to reach", (v) => {
    expect(phoneError(v)).toBe("电话号码应为 7 至 15 位数字（手机 11 位，固定电话可加区号）");
  });
  it.each(["139-7946 abc", "1", "+-()", "１３９７９４６１２３４", "1".repeat(33)])("refuses %s", (v) => {
    expect(phoneError(v)).toBe("电话号码只能包含数字、空格、+、-和括号");
  });
  it("an empty phone is optional", () => {
    expect(phoneError("  ")).toBeNull();
  });
});

describe("18-digit resident ID numbers with the GB 11643 check character", () => {
  it("computes the check character", () => {
    expect(idCheckChar("11010519491231002")).toBe("X");
    expect(idCheckChar("44052419800101001")).toBe("3");
  });
  it("accepts valid numbers, a lower-case x too", () => {
    expect(idNumberError("11010519491231002X")).toBeNull();
    expect(idNumberError("11010519491231002x")).toBeNull();
    expect(idNumberError("440524198001010013")).toBeNull();
  });
  it("refuses a wrong check character", () => {
    expect(idNumberError("110105194912310021")).toBe("身份证号校验码不正确");
  });
  it("refuses a bad format", () => {
    for (const v of ["11010519491231002", "11010519491231002XX", "1101051949123100AX"]) {
      expect(idNumberError(v)).toBe("身份证号应为 17 位数字加 1 位校验码（数字或 X）");
    }
  });
  it("refuses an impossible or implausible birth date", () => {
    const feb30 = "1101051949023000" + "1";
    expect(idNumberError(feb30 + idCheckChar(feb30))).toBe("身份证号中的出生日期无效");
    const old = "11010518891231002";
    expect(idNumberError(old + idCheckChar(old))).toBe("身份证号中的出生日期不合理");
    const future = "11010520990101002";
    expect(idNumberError(future + idCheckChar(future), new Date("2026-01-01"))).toBe(
      "身份证号中的出生日期不合理",
    );
  });
});

describe("texts and form rules", () => {
  it("ShortText / LongText: required, trimmed, bounded", () => {
    expect(textError("  ", 200, "被巡察单位")).toBe("请填写被巡察单位");
    expect(textError("x".repeat(201), 200, "被巡察单位")).toBe("被巡察单位不能超过 200 个字");
    expect(textError(" 某局 ", 200, "被巡察单位")).toBeNull();
  });
  it("a rule reports the check's message to Element Plus", () => {
    const r = rule(phoneError);
    const seen: (Error | undefined)[] = [];
    r.validator(null, "abc", (e) => seen.push(e));
    r.validator(null, "13979461234", (e) => seen.push(e));
    expect(seen[0]?.message).toBe("电话号码只能包含数字、空格、+、-和括号");
    expect(seen[1]).toBeUndefined();
  });
});

describe("a clue's summary (as intake's and clues' personal_numbers, R11)", () => {
  it.each([
    ["举报人电话13907941234", "电话号码（1 处）"],
    ["联系 139 0794 1234 或 0794-8221234", "电话号码（2 处）"],
    ["身份证11010519491231002X", "身份证号码（1 处）"],
    ["电话：１３９０７９４１２３４", "电话号码（1 处）"],
  ])("refuses %s without echoing it", (text, found) => {
    const msg = summaryNumbersError(text);
    expect(msg).toContain(found);
    expect(msg).not.toMatch(/\d{4}/);
  });
  it.each(["反映某局2023年违规发放津补贴问题，涉及金额120000元", "2024-05-01 至 2024-06-30", "12345678901"])(
    "accepts %s",
    (text) => expect(summaryNumbersError(text)).toBeNull(),
  );
});

describe("a petition's summary numbers are sealed, not refused (R11)", () => {
  const text = "举报人电话13907941234，身份证11010519491231002X";
  it("names what is found, never the numbers", () => {
    expect(summaryNumbers(text)).toBe("身份证号码（1 处）、电话号码（1 处）");
  });
  it("refuses them in a clue's summary only", () => {
    expect(summaryNumbersError(text)).toContain("线索摘要");
  });
});

describe("days written on paper (补录, R26)", () => {
  const today = "2026-11-30";
  it("accepts none, today and the last day of a term back", () => {
    expect(paperDateError("", today, "登记日期")).toBeNull();
    expect(paperDateError(today, today, "登记日期")).toBeNull();
    expect(paperDateError("2021-11-30", today, "登记日期")).toBeNull();
  });
  it("refuses a day after today or more than five years back, naming the dates", () => {
    expect(paperDateError("2026-12-01", today, "登记日期")).toBe("登记日期不能晚于今天（2026-11-30）");
    expect(paperDateError("2021-11-29", today, "登记日期")).toBe("登记日期不能早于五年前（2021-11-30）");
    expect(paperDateError("2026/11/01", today, "登记日期")).toBe("登记日期格式应为 年-月-日");
  });
  it("refuses a transfer before the clue's registration day", () => {
    const registered = { day: "2026-07-01", label: "线索登记日期" };
    expect(paperDateError("2026-06-30", today, "移交日期", registered)).toBe(
      "移交日期不能早于线索登记日期（2026-07-01）",
    );
    expect(paperDateError("2026-07-01", today, "移交日期", registered)).toBeNull();
  });
  it("counts a term back from 29 February to the 28th", () => {
    expect(earliestPaperDay("2028-02-29")).toBe("2023-02-28");
  });
  it("reads a picker's cell as its local day", () => {
    expect(pickerDay(new Date(2026, 11, 1))).toBe("2026-12-01");
  });
});

describe("typedDay and typedDayError (a day typed by hand into a day field)", () => {
  it("reads the usual ways of writing a day, and nothing else", () => {
    expect(typedDay("2026-11-1")).toBe("2026-11-01");
    expect(typedDay(" 2026/11/01 ")).toBe("2026-11-01");
    expect(typedDay("2026.11.01")).toBe("2026-11-01");
    expect(typedDay("2026年11月1日")).toBe("2026-11-01");
    expect(typedDay("20261101")).toBe("2026-11-01");
    expect(typedDay("")).toBe("");
    expect(typedDay("2026-02-30")).toBeNull();
    expect(typedDay("2026-13-01")).toBeNull();
    expect(typedDay("昨天")).toBeNull();
  });
  it("says why a typed day is not taken: its format, or the field's own rule", () => {
    const notFuture = (d: string) => (d > "2026-12-05" ? "移交日期不能晚于今天（2026-12-05）" : null);
    expect(typedDayError("2027-1-1", notFuture, "移交日期")).toBe("所填 2027-01-01 未采用：移交日期不能晚于今天（2026-12-05）");
    expect(typedDayError("2026-12-01", notFuture, "移交日期")).toBeNull();
    expect(typedDayError("2026-02-30", notFuture, "移交日期")).toBe("移交日期“2026-02-30”不是有效日期，格式应为 年-月-日");
    expect(typedDayError("", notFuture)).toBeNull();
    expect(typedDayError("2019-01-01", undefined)).toBeNull();
  });
});

describe("postError (来访接待, R13)", () => {
  it("takes a title alone or after its body's words", () => {
    for (const post of ["组长", "副组长", "巡察组组长", "第一巡察组副组长", "市委巡察办主任", "县纪委书记", "", "  巡察办副主任 "]) {
      expect(postError(post)).toBeNull();
    }
  });
  it("refuses a name, or a surname before a title", () => {
    for (const person of ["张三", "王组长", "李副主任", "欧阳书记", "组员"]) {
      expect(postError(person)).toBe("请只填写接待领导的职务，如“巡察组组长”“巡察办主任”，不填姓名或姓氏");
    }
  });
  it("suggests only posts it takes", () => {
    for (const post of RECEIVING_POSTS) expect(postError(post)).toBeNull();
  });
});

describe("wordedError (as the services' NameText)", () => {
  it("refuses a name of digits or symbols only", () => {
    for (const v of ["123", "!!!@@@###", " 12-34 "]) expect(wordedError(v)).toBe("应包含文字，不能只有数字或符号");
  });
  it("takes a name with a word, and leaves an empty one to the required check", () => {
    for (const v of ["周某某", "市水利局", "A1", "", "  "]) expect(wordedError(v)).toBeNull();
  });
});

describe("publicTextError (as rectification's publication.sensitive)", () => {
  it("finds an ID number or a receipt code, however it is written", () => {
    expect(publicTextError("举报人身份证 36250219800101123X")).toBe("向社会公开的内容不得含有身份证号码");
    expect(publicTextError("号码 362502 1980 0101 123x")).toBe("向社会公开的内容不得含有身份证号码");
    expect(publicTextError("回执码 XC-7KQ4-M2PD-9TRA-5HXE-W3NB")).toBe("向社会公开的内容不得含有举报回执码");
  });
  it("lets figures and dates through", () => {
    expect(publicTextError("反馈问题33个，已整改24个，追缴资金1234.56万元，2026年12月6日")).toBeNull();
    expect(publicTextError("ABCD-EFGH-IJKL")).toBeNull(); // letters only: no receipt code
  });
});

describe("typedMoment (a time typed into 时间回溯's field)", () => {
  it("reads the picker's own format, seconds and time optional", () => {
    expect(typedMoment("2025-01-31 09:30:15")).toEqual(new Date(2025, 0, 31, 9, 30, 15));
    expect(typedMoment(" 2025-1-31 9:30 ")).toEqual(new Date(2025, 0, 31, 9, 30, 0));
    expect(typedMoment("2025-01-31")).toEqual(new Date(2025, 0, 31, 0, 0, 0));
  });
  it("refuses what is no moment, where the picker kept its older value silently", () => {
    for (const text of ["昨天", "2025-02-30 10:00", "2025-01-31 24:00", "2025-01-31 10:60", "2025-13-01", "20250131", ""]) {
      expect(typedMoment(text)).toBeNull();
    }
  });
});

describe("receiptCodeError (a receipt code typed before it is looked up)", () => {
  it("takes a code as printed, with or without dashes, in any case", () => {
    for (const code of ["XC-7KQ4-M2PD-9TRA-5HXE-W3NB", "xc7kq4m2pd9tra5hxew3nb", " XC-7KQ4-M2PD-9TRA "]) {
      expect(receiptCodeError(code)).toBeNull();
    }
  });
  it("asks for one, and refuses what is no code (a long paste among them)", () => {
    expect(receiptCodeError("  ")).toBe("请输入回执码");
    for (const code of ["XC-1234", "回执码", "X".repeat(3000)]) expect(receiptCodeError(code)).toContain("回执码格式不正确");
  });
});

describe("topicError (主题: a short name)", () => {
  it("refuses a new topic over 30 characters, naming where the details go", () => {
    expect(topicError(["四风", "违".repeat(31)], [], "线索摘要")).toContain("详情请写在线索摘要中");
    expect(topicError(["四风", "违".repeat(30)], [], "问题")).toBeNull();
  });
  it("keeps a record's own topics whatever their length", () => {
    expect(topicError(["违".repeat(31)], ["违".repeat(31)], "线索摘要")).toBeNull();
  });
});
