import { describe, expect, it } from "vitest";
import { ApiError } from "../src/api/problem";
import { besideField, clearWhenEdited, filled, formProblem } from "../src/formProblem";
import { nextTick, reactive, ref } from "vue";

// a 422 naming two required fields
const bothMissing = () =>
  new ApiError({
    status: 422,
    errors: [
      { field: "body.starts_on", msg: "Field required", type: "missing" },
      { field: "body.home_unit_id", msg: "Field required", type: "missing" },
    ],
  });

describe("formProblem", () => {
  it("marks each field the service named and keeps the summary", () => {
    const p = formProblem();
    p.take(bothMissing());
    expect(p.message).toBe("输入有误，请检查标红的字段");
    expect(p.fields).toEqual({ starts_on: "必填", home_unit_id: "必填" });
    p.clear();
    expect(p.message).toBe("");
    expect(p.fields).toEqual({});
  });

  it("marks nothing for a refusal of the whole request", () => {
    const p = formProblem();
    p.take(new ApiError({ status: 409, detail: "本轮已结束 / the round is closed" }));
    expect(p.message).toBe("本轮已结束");
    expect(p.fields).toEqual({});
  });

  it("leaves blank entries out of a body", () => {
    expect(filled({ name: " ", starts_on: "", ends_on: null, term_no: 4, unit_ids: [], kind: "city_department" })).toEqual({
      term_no: 4,
      unit_ids: [],
      kind: "city_department",
    });
  });
});

describe("a field's message goes when the field is changed", () => {
  it("clears the changed field's messages only, nested and aliased ones too", async () => {
    const form = reactive({ round_id: "", unit_id: "", summary: "", informant: { phone: "" }, issues: [{ description: "" }] });
    const errors = ref<Record<string, string>>({});
    clearWhenEdited(form, () => errors.value, { unit_id: ["unit"] });
    errors.value = {
      round_id: "请选择巡察轮次",
      unit: "请选择被巡察单位",
      summary: "请填写线索摘要",
      "informant.phone": "电话号码只能包含数字",
      "issues.0.description": "请填写问题描述",
    };
    await nextTick();
    expect(Object.keys(errors.value)).toHaveLength(5); // setting the messages changed no field

    form.summary = "测试";
    await nextTick();
    expect(errors.value.summary).toBeUndefined();
    expect(errors.value.round_id).toBe("请选择巡察轮次");

    form.unit_id = "u-1";
    form.informant.phone = "0794-1234567";
    await nextTick();
    expect(errors.value).toEqual({ round_id: "请选择巡察轮次", "issues.0.description": "请填写问题描述" });

    form.issues[0].description = "问题";
    await nextTick();
    expect(errors.value).toEqual({ round_id: "请选择巡察轮次" });
  });

  it("works on a form problem's fields", async () => {
    const form = reactive({ starts_on: "" });
    const p = formProblem();
    clearWhenEdited(form, () => p.fields);
    p.fields = { starts_on: "请选择开始日期", ends_on: "请选择结束日期" };
    form.starts_on = "2026-12-01";
    await nextTick();
    expect(p.fields).toEqual({ ends_on: "请选择结束日期" });
  });

  it("drops a summary that points at red fields once none is left", async () => {
    const form = reactive({ starts_on: "", home_unit_id: "" });
    const p = formProblem();
    clearWhenEdited(form, () => p.fields);
    p.take(bothMissing());
    form.starts_on = "2026-12-01";
    await nextTick();
    expect(p.message).toBe("输入有误，请检查标红的字段"); // one field still red
    form.home_unit_id = "u1";
    await nextTick();
    await nextTick();
    expect(p.message).toBe("");
  });

  it("keeps a summary that says something of its own", async () => {
    const p = formProblem();
    p.take(new ApiError({ status: 409, detail: "本轮已结束 / the round is closed" }));
    p.fields = { a: "x" };
    await nextTick();
    p.fields = {};
    await nextTick();
    expect(p.message).toBe("本轮已结束");
  });

  it("says a refusal about one day beside that day's field", () => {
    const p = formProblem();
    p.take(new ApiError({ status: 422, detail: "纳入日期 2025-01-01 早于该轮巡察结束（2025-06-30）：每轮巡察结束后评价，再纳入后备干部库 / before the round ends" }));
    besideField(p, { admitted_on: "纳入日期" });
    expect(p.message).toBe("");
    expect(p.fields.admitted_on).toContain("早于该轮巡察结束（2025-06-30）");
    // another refusal stays above the form
    p.take(new ApiError({ status: 409, detail: "已纳入后备干部库 / already in the reserve pool" }));
    besideField(p, { admitted_on: "纳入日期" });
    expect(p.message).toBe("已纳入后备干部库");
    expect(p.fields).toEqual({});
  });
});
