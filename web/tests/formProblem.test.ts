import { describe, expect, it } from "vitest";
import { ApiError } from "../src/api/problem";
import { filled, formProblem } from "../src/formProblem";

describe("formProblem", () => {
  it("marks each field the service named and keeps the summary", () => {
    const p = formProblem();
    p.take(
      new ApiError({
        status: 422,
        errors: [
          { field: "body.starts_on", msg: "Field required", type: "missing" },
          { field: "body.home_unit_id", msg: "Field required", type: "missing" },
        ],
      }),
    );
    expect(p.message).toBe("输入有误，请检查标红的字段");
    expect(p.fields).toEqual({ starts_on: "必填", home_unit_id: "必填" });
    p.clear();
    expect(p.message).toBe("");
    expect(p.fields).toEqual({});
  });

  it("marks nothing for a refusal of the whole request", () => {
    const p = formProblem();
    p.take(new ApiError({ status: 409, detail: "本轮已结束 / the round is closed" }));
    expect(p.message).toBe("当前状态不允许此操作：本轮已结束");
    expect(p.fields).toEqual({});
  });

  it("leaves blank entries out of a body", () => {
    expect(filled({ name: " ", starts_on: "", term_no: 4, unit_ids: [], kind: "city_department" })).toEqual({
      term_no: 4,
      unit_ids: [],
      kind: "city_department",
    });
  });
});
