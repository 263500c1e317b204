import { describe, expect, it } from "vitest";
import { ApiError, chinesePart, errorText, fieldKey, fieldMessageZh, problemZh, readable } from "../src/api/problem";

describe("problem details in Chinese", () => {
  it("maps a 422's errors to the form fields", () => {
    const zh = problemZh({
      status: 422,
      title: "Validation failed",
      detail: "body.informant.phone: Value error, a phone number has digits, spaces, +, -, ( and ) only",
      errors: [
        { field: "body.informant.phone", msg: "Value error, a phone number has digits, spaces, +, -, ( and ) only", type: "value_error" },
        { field: "body.informant.id_number", msg: "Value error, the ID number's check character does not match", type: "value_error" },
        { field: "body.summary", msg: "Field required", type: "missing" },
        { field: "body.issues.0.description", msg: "String should have at least 1 character", type: "string_too_short" },
        { field: "query.jurisdiction", msg: "String should match pattern '^\\d{6}$'", type: "string_pattern_mismatch" },
      ],
    });
    expect(zh.summary).toBe("输入有误，请检查标红的字段");
    expect(zh.fields).toEqual({
      "informant.phone": "电话号码只能包含数字、空格、+、-和括号",
      "informant.id_number": "身份证号校验码不正确",
      summary: "必填",
      "issues.0.description": "不能为空",
      jurisdiction: "格式不正确",
    });
  });

  it("gives a 422 that names no field its reason, since nothing is marked red", () => {
    expect(problemZh({ status: 422, detail: "日期不在本轮期间 / the date is outside the round", errors: [] }).summary).toBe(
      "输入有误：日期不在本轮期间",
    );
    expect(problemZh({ status: 422, detail: "仅接受PDF、JPEG、PNG、DOCX、XLSX文件" }).summary).toBe(
      "输入有误：仅接受PDF、JPEG、PNG、DOCX、XLSX文件",
    );
    expect(problemZh({ status: 422, detail: "date out of range" }).summary).toBe("输入有误，请检查填写的内容");
  });

  it("says an unavailable service once, when the service's reason repeats the status line", () => {
    expect(problemZh({ status: 503, detail: "服务暂时不可用，请稍后再试 / the database is unavailable" }).summary).toBe(
      "服务暂时不可用，请稍后再试",
    );
    // its own words when they already say to try again later, not the advice twice
    expect(problemZh({ status: 503, detail: "数据库暂时不可用，请稍后重试 / the database is unavailable" }).summary).toBe(
      "数据库暂时不可用，请稍后重试",
    );
  });

  it("keeps the Chinese half of a service's reason", () => {
    const detail = "该线索涉及市管干部，须先报市委巡察办后方可移交 (R12) / the clue concerns a city-managed cadre";
    expect(chinesePart(detail)).toBe("该线索涉及市管干部，须先报市委巡察办后方可移交 (R12)");
    // a conflict: the service's reason alone (it says why; no generic line before it)
    expect(problemZh({ status: 409, detail }).summary).toBe("该线索涉及市管干部，须先报市委巡察办后方可移交 (R12)");
    expect(problemZh({ status: 409, detail: "单位名称已登记：市城管局 / a unit of that name exists" }).summary).toBe(
      "单位名称已登记：市城管局",
    );
    expect(chinesePart("role department may not read the linked view")).toBeNull();
    // the slash right after a full-width bracket, as a service once wrote it
    expect(chinesePart("立行立改任务须在整改报告期限（2027-02-04）前完成（R1）/ R1: an immediate task")).toBe(
      "立行立改任务须在整改报告期限（2027-02-04）前完成（R1）",
    );
  });

  it("never shows an English-only detail of another jurisdiction as is for 403", () => {
    const zh = problemZh({ status: 403, detail: "无权查看其他地区的线索 / county_admin of 361021 may not access clues of jurisdiction 361002" });
    expect(zh.summary).toBe("无权执行此操作：无权查看其他地区的线索");
    expect(zh.summary).not.toContain("361002");
  });

  it("shows no English-only detail: the status line alone", () => {
    expect(problemZh({ status: 401, detail: "the token is invalid, expired or revoked" }).summary).toBe(
      "登录已失效或令牌无效，请重新登录",
    );
    expect(problemZh({ status: 409, detail: "version conflict" }).summary).toBe("当前状态不允许此操作");
  });

  it("has a line for every status, the network and unknown messages", () => {
    expect(problemZh({ status: 401 }).summary).toContain("令牌无效");
    expect(problemZh({ status: 503 }).summary).toBe("服务暂时不可用，请稍后再试");
    expect(problemZh({ status: 500 }).summary).toBe("服务出错，请稍后再试");
    expect(errorText(new Error("boom"))).toBe("无法连接服务器，请检查网络");
    expect(fieldMessageZh({ field: "x", msg: "something new", type: "weird" })).toBe("输入有误，请检查该项");
    // a validator's own Chinese reason, without pydantic's lead-in or the English half
    const named = "Value error, 应包含文字，不能只有数字或符号 / a name must contain a word";
    expect(fieldMessageZh({ field: "cadre_name", msg: named, type: "value_error" })).toBe("应包含文字，不能只有数字或符号");
    expect(fieldMessageZh({ field: "x", msg: "Input should be greater than 0", type: "greater_than" })).toBe("数值过小（应大于 0）");
    expect(fieldMessageZh({ field: "x", msg: "a message without its limit", type: "greater_than" })).toBe("数值过小");
  });

  it("a length or range error states its limit", () => {
    const msg = (type: string, text: string) => fieldMessageZh({ field: "body.note", msg: text, type });
    expect(msg("string_too_long", "String should have at most 200 characters")).toBe("超出长度上限（最多 200 个字）");
    expect(msg("string_too_short", "String should have at least 1 character")).toBe("不能为空");
    expect(msg("string_too_short", "String should have at least 2 characters")).toBe("至少 2 个字");
    expect(msg("too_long", "List should have at most 50 items after validation, not 51")).toBe("项目过多（最多 50 项）");
    expect(msg("too_short", "List should have at least 1 item after validation, not 0")).toBe("至少需要 1 项");
    expect(msg("greater_than_equal", "Input should be greater than or equal to 0")).toBe("数值过小（不能小于 0）");
    expect(msg("less_than_equal", "Input should be less than or equal to 100")).toBe("数值过大（不能大于 100）");
    expect(msg("less_than", "Input should be less than 10")).toBe("数值过大（应小于 10）");
  });

  it("a reason shows no record ids and no codes", () => {
    const id = "0b8f3c1e-5d7a-4c2b-9e6f-1a2b3c4d5e6f";
    expect(chinesePart(`巡察组 ${id} 不属于本轮 / group ${id} is not a group of round x`)).toBe("巡察组不属于本轮");
    expect(chinesePart(`未找到线索 ${id} / unknown clue ${id}`)).toBe("未找到线索");
    expect(chinesePart("线索当前状态为“已登记”(registered)，不能移交 / the clue is registered")).toBe("线索当前状态为“已登记”，不能移交");
    expect(chinesePart("individual_talk 记录内容不合规 / invalid individual_talk record: x")).toBe("个别谈话 记录内容不合规");
    expect(chinesePart(`本轮已有该分报告 (${id})，状态：已起草 / this round has one`)).toBe("本轮已有该分报告，状态：已起草");
    expect(chinesePart("摘要中含有电话号码（1 处） (R11) / the summary")).toBe("摘要中含有电话号码（1 处） (R11)");
  });

  it("an empty date asks for one; a wrong one says so", () => {
    const empty = { field: "body.held_on", msg: "Input should be a valid date or datetime, input is too short", type: "date_from_datetime_parsing" };
    expect(fieldMessageZh(empty)).toBe("请填写日期（年-月-日）");
    const wrong = { field: "body.held_on", msg: "Input should be a valid date or datetime, invalid character in year", type: "date_from_datetime_parsing" };
    expect(fieldMessageZh(wrong)).toBe("日期格式不正确");
  });

  it("field keys drop the location and keep list indexes", () => {
    expect(fieldKey("body.informant.phone")).toBe("informant.phone");
    expect(fieldKey("query.unit")).toBe("unit");
    expect(fieldKey("body.issues.2.rect_type")).toBe("issues.2.rect_type");
  });

  it("ApiError carries the problem and its rendering", () => {
    const err = new ApiError({ status: 422, errors: [{ field: "body.unit", msg: "Field required", type: "missing" }] });
    expect(err.status).toBe(422);
    expect(err.field("unit")).toBe("必填");
    expect(err.message).toBe("输入有误，请检查标红的字段");
  });
});

describe("a case no service has, as the audit history answers it", () => {
  it("reads whole without the number a person typed; a number that is not an id stays", () => {
    const id = "01a24259-0c2d-7a4e-9b1f-3c5d7e9f1a2b";
    expect(readable(`各服务中都没有这一编号的案件记录（${id}）`)).toBe("各服务中都没有这一编号的案件记录");
    expect(readable("各服务中都没有这一编号的案件记录（abc）")).toBe("各服务中都没有这一编号的案件记录（abc）");
  });
});
