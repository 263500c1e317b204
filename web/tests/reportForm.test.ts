import { describe, expect, it } from "vitest";
import { nextTick, reactive } from "vue";
import { keepReportConsistent, leaderReportNeeded } from "../src/reportForm";

describe("keepReportConsistent", () => {
  it("a final report is complete at 100 %; a formal one when switched on; a progress one never", async () => {
    const rep = reactive({ kind: "progress", progress_percent: 60, completed: false });
    keepReportConsistent(rep);
    rep.kind = "final";
    await nextTick();
    await nextTick();
    expect([rep.completed, rep.progress_percent]).toEqual([true, 100]);
    rep.kind = "formal";
    await nextTick();
    expect(rep.completed).toBe(false);
    rep.progress_percent = 70;
    rep.completed = true;
    await nextTick();
    expect(rep.progress_percent).toBe(100);
    rep.kind = "progress";
    await nextTick();
    expect(rep.completed).toBe(false);
  });
});

describe("leaderReportNeeded (R1)", () => {
  it("asks the formal report for the leader's report, and a final one sent without an earlier one", () => {
    expect(leaderReportNeeded("formal", [{ leader_report: "已部署" }])).toBe("整改情况报告须附主要负责人组织落实情况（R1）");
    expect(leaderReportNeeded("final", [])).toBe("尚未报送主要负责人组织落实情况，整改完成报告须一并附上（R1）");
    expect(leaderReportNeeded("final", [{ leader_report: " " }, { leader_report: null }])).not.toBe("");
    expect(leaderReportNeeded("final", [{ leader_report: null }, { leader_report: "已部署" }])).toBe("");
    expect(leaderReportNeeded("progress", [])).toBe("");
  });
});
