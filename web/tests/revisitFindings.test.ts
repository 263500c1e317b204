import { describe, expect, it } from "vitest";
import {
  REOPENABLE,
  findingsBody,
  findingsProblems,
  findingsSummary,
  messageOf,
  setChecked,
  reopenBlock,
  setReopened,
  type FindingsChoice,
} from "../src/revisitFindings";

const fresh = (): FindingsChoice => ({ checked: [], reopened: [], text: "" });

describe("回头看 登记发现", () => {
  it("sends the checked and the reopened issues apart, a reopened one among the checked", () => {
    const c = fresh();
    setChecked(c, "a", true);
    setReopened(c, "b", true);
    const body = findingsBody(c);
    expect(body.checked_issue_ids).toEqual(["a", "b"]);
    expect(body.reopened_issue_ids).toEqual(["b"]);
    expect(body.new_problems).toEqual([]);
  });

  it("unticking checked also unticks reopened; ticking twice keeps one", () => {
    const c = fresh();
    setReopened(c, "b", true);
    setReopened(c, "b", true);
    setChecked(c, "b", true);
    expect(c).toMatchObject({ checked: ["b"], reopened: ["b"] });
    setChecked(c, "b", false);
    expect(c).toMatchObject({ checked: [], reopened: [] });
    setReopened(c, "a", true);
    setReopened(c, "a", false);
    expect(c).toMatchObject({ checked: ["a"], reopened: [] });
  });

  it("new problems are the non-blank lines, any first line included", () => {
    const c = fresh();
    c.text = "台账仍未建立\n\n  整改“一阵风”  \r\n";
    expect(findingsBody(c).new_problems).toEqual(["台账仍未建立", "整改“一阵风”"]);
  });

  it("marks the fields when nothing is checked and nothing new is found", () => {
    const empty = findingsBody({ ...fresh(), text: " \n " });
    const marked = findingsProblems(empty);
    expect(marked.checked_issue_ids).toContain("请至少勾选");
    expect(marked.new_problems).toBeTruthy();
    expect(marked.new_problems).not.toBe(marked.checked_issue_ids); // the reason said once
    expect(findingsProblems(findingsBody({ ...fresh(), text: "新问题" }))).toEqual({});
  });

  it("finds the service's message of a field or of one of its items", () => {
    expect(messageOf({ "new_problems.2": "超出长度上限" }, "new_problems")).toBe("超出长度上限");
    expect(messageOf({ checked_issue_ids: "必填" }, "checked_issue_ids")).toBe("必填");
    expect(messageOf({ new_problems_x: "x" }, "new_problems")).toBe("");
  });

  it("reopens only verified or closed-out issues and says the result in words", () => {
    expect([...REOPENABLE].sort()).toEqual(["closed_out", "verified"]);
    expect(findingsSummary(2, 1, 0)).toBe("检查问题 2 个，重新整改 1 个");
    expect(findingsSummary(0, 0, 1)).toBe("检查问题 0 个，重新整改 0 个，新发现问题 1 项");
  });
});

describe("reopenBlock", () => {
  const closed = { status: "closed_out", status_zh: "已对账销号", settled_on: "2026-10-08" };
  it("lets a revisit reopen what was settled on or before its day", () => {
    expect(reopenBlock(closed, "2026-10-08")).toBe("");
    expect(reopenBlock(closed, "2026-10-20")).toBe("");
    expect(reopenBlock({ status: "verified", status_zh: "已核实", settled_on: null }, "2026-10-20")).toBe("");
  });
  it("says why an issue settled after the revisit's day cannot go back", () => {
    expect(reopenBlock(closed, "2026-10-07")).toBe("该问题于 2026-10-08 销号，晚于回头看日期 2026-10-07，不能由本次回头看退回重新整改");
    expect(reopenBlock({ ...closed, status: "verified", status_zh: "已核实" }, "2026-10-01")).toContain("2026-10-08 核实通过");
  });
  it("keeps an issue still being rectified out, whatever the day", () => {
    expect(reopenBlock({ status: "in_progress", status_zh: "整改中" }, "2026-10-20")).toContain("仍在整改中");
  });
});
