import { describe, expect, it } from "vitest";
import {
  allProblems, chainOnlyText, checkpointLines, deadlineStateCounts, eventsAfterCheckpoint, firstBrokenText, holesLine,
  kafkaLine, overdueDeadlines, problemPlace, replayedLines, subjectText,
  type ReplayedDeadline, type ServiceVerification, type Verification, type VerifyProblem,
} from "../src/components/audit/audit";

const head = { tx_id: 44039, global_position: 2129 };
const intake = (over: Partial<ServiceVerification> = {}): ServiceVerification => ({
  service: "intake", database: "intake", intact: true, streams: 1179, events: 1918, max_position: 2132,
  hole_ranges: 22, unexplained_holes: [],
  kafka: { topics: ["intake.petition.v1"], messages: 1918, events: 1918, matched: 1915, not_yet_published: 3, duplicates: 0, newer_than_snapshot: 0, relay_position: head },
  checkpoints: {
    checked: 3, verified: 3, failed: 0, skipped: 0,
    latest: { head, event_count: 1915, created_at: "2026-12-05T12:36:01.793898Z", key_id: "intake-dfcbedbc65ae23d1" },
  },
  problem_count: 0, problems: [], notes: [],
  ...over,
});

describe("完整性核验: the signed checkpoints", () => {
  it("say how many verified and what the latest covers, in Beijing time", () => {
    expect(checkpointLines(intake())).toEqual([
      "3/3 个通过签名核验",
      "最近一个覆盖 1915 / 1918 个事件，签于 2026-12-05 20:36，密钥 intake-dfcbedbc65ae23d1",
    ]);
  });

  it("name the failed and the ones newer than the check", () => {
    const s = intake({ checkpoints: { ...intake().checkpoints, checked: 4, verified: 2, failed: 1, skipped: 1 } });
    expect(checkpointLines(s)[0]).toBe("2/4 个通过签名核验，1 个未通过，1 个晚于本次核验、未核验");
  });

  it("say plainly which events only the hash chain protects", () => {
    expect(eventsAfterCheckpoint(intake())).toBe(3);
    expect(chainOnlyText(intake())).toBe("最近检查点之后的 3 个事件仅由哈希链保护，待下一个检查点签名");
    // every event signed: nothing to say
    const signed = intake({ events: 1915 });
    expect(chainOnlyText(signed)).toBeNull();
    // a checkpoint newer than the check's snapshot counts more than it saw: never negative
    expect(eventsAfterCheckpoint(intake({ events: 1900 }))).toBe(0);
  });

  it("without a checkpoint yet say so", () => {
    const none = intake({ checkpoints: { checked: 0, verified: 0, failed: 0, skipped: 0, latest: null } });
    expect(checkpointLines(none)).toEqual(["尚无签名检查点"]);
    expect(chainOnlyText(none)).toBeNull();
  });
});

describe("完整性核验: Kafka and the positions", () => {
  it("compares Kafka's copy in one line, or says it was not compared", () => {
    expect(kafkaLine(intake().kafka)).toBe("一致 1915 · 尚未发布 3 · 重复消息 0");
    expect(kafkaLine({ ...intake().kafka!, newer_than_snapshot: 2 })).toBe("一致 1915 · 尚未发布 3 · 重复消息 0 · 晚于核验快照 2");
    expect(kafkaLine(null)).toBe("未比对");
  });

  it("tells explained holes from unexplained ones", () => {
    expect(holesLine(intake())).toBe("22 处空洞，均为中止的事务");
    expect(holesLine(intake({ unexplained_holes: [{ first: 7, last: 7, why: "Kafka holds event …" }] }))).toBe("22 处空洞，其中 1 处无法解释");
    expect(holesLine(intake({ hole_ranges: 0 }))).toBe("无空洞");
  });
});

describe("完整性核验: the problems", () => {
  const chain: VerifyProblem = {
    service: "clues", database: "clues", kind: "chain", stream_id: "case-1", stream_version: 2, event_id: "01a2", message: "hash differs",
  };
  const cp: VerifyProblem = { ...chain, kind: "checkpoint", stream_id: null, stream_version: null, event_id: null, message: "signature" };

  it("are placed by stream and version, else event, else database", () => {
    expect(problemPlace(chain)).toBe("case-1 第 2 版");
    expect(problemPlace({ ...chain, stream_version: null })).toBe("case-1");
    expect(problemPlace({ ...chain, stream_id: null })).toBe("事件 01a2");
    expect(problemPlace(cp)).toBe("数据库 clues");
  });

  it("are every service's and the answer's own, and the first broken is named", () => {
    const v: Verification = {
      intact: false, kafka_checked: true, checked_at: "2026-12-05T12:41:05Z", problem_count: 3,
      first_broken: { service: "clues", database: "clues", stream_id: "case-1", stream_version: 2 },
      services: [intake(), intake({ service: "clues", problems: [chain, cp] })],
      problems: [{ ...cp, service: "intake", kind: "export" }],
      notes: [],
    };
    expect(allProblems(v).map((p) => p.kind)).toEqual(["chain", "checkpoint", "export"]);
    expect(firstBrokenText(v)).toBe("首个损坏之处：问题线索的事件流 case-1 第 2 版");
    expect(firstBrokenText({ ...v, first_broken: null })).toBeNull();
  });
});

describe("时间回溯: the deadlines as they stood", () => {
  const d = (state: string, days_late = 0, due_date = "2026-01-10"): ReplayedDeadline => ({
    kind: "rectification.formal_report", case: { type: "issue", id: `i-${state}-${days_late}`, link: "" }, rule_id: "r",
    due_date, jurisdiction: "361002", owner: "361002", waits_for_zh: "整改报告", state, days_late,
  });

  it("are counted by state in 期限预警's order and words, leaving out the states none was in", () => {
    const counts = deadlineStateCounts([d("met"), d("overdue", 3), d("running"), d("overdue", 1), d("met_late"), d("running")]);
    expect(counts).toEqual([
      { state: "running", label: "正常", count: 2 },
      { state: "overdue", label: "已逾期", count: 2 },
      { state: "met", label: "按期办结", count: 1 },
      { state: "met_late", label: "逾期办结", count: 1 },
    ]);
    // a state the workbench does not know yet: last, by its code
    expect(deadlineStateCounts([d("cancelled"), d("running")]).map((c) => c.label)).toEqual(["正常", "cancelled"]);
    expect(deadlineStateCounts([])).toEqual([]);
  });

  it("list the overdue ones, the most late first, then by due date", () => {
    const late = overdueDeadlines([d("overdue", 2, "2026-02-01"), d("running"), d("overdue", 9), d("overdue", 2, "2026-01-20")]);
    expect(late.map((x) => [x.days_late, x.due_date])).toEqual([[9, "2026-01-10"], [2, "2026-01-20"], [2, "2026-02-01"]]);
  });

  it("say per service what was replayed of the history", () => {
    expect(replayedLines({ intake: { replayed: 120, history: 1915 }, clues: { replayed: 0, history: 1115 } })).toEqual([
      "巡察组织与信访受理：重放 120 / 共 1915 个事件",
      "问题线索：重放 0 / 共 1115 个事件",
    ]);
    expect(replayedLines(undefined)).toEqual([]); // a county auditor is not told the city's counts
  });
});

describe("a replayed deadline's subject", () => {
  it("names the group and the unit as 期限预警 does", () => {
    expect(subjectText({ group_no: 3, unit_name: "市财政局" })).toBe("第3巡察组 · 市财政局");
    expect(subjectText({ group_no: null, unit_name: "临川区水利局" })).toBe("临川区水利局");
    expect(subjectText({})).toBe("");
  });
});
