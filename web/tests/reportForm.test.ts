import { describe, expect, it } from "vitest";
import { nextTick, reactive } from "vue";
import { keepReportConsistent } from "../src/reportForm";

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
