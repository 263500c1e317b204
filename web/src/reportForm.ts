// A rectification report's form (反馈与整改's 代为录入整改情况, 本单位整改's 报告整改): its kind,
// its 整改完成 switch and its progress kept as the service takes them.
import { watch } from "vue";
import { reportCompleted } from "./labels";

export interface ReportDraft {
  kind: string;
  progress_percent: number;
  completed: boolean;
}

/** Keep ``rep`` consistent while it is edited: the switch follows the kind (on for a final
 *  report, off otherwise, to be turned on for a formal one), and a report that declares
 *  completion is at 100 % (the service refuses less). Call it after ``rep`` is declared. */
export function keepReportConsistent(rep: ReportDraft): void {
  watch(
    () => rep.kind,
    (kind) => {
      rep.completed = kind === "final";
    },
  );
  watch(
    () => reportCompleted(rep.kind, rep.completed),
    (declared) => {
      if (declared) rep.progress_percent = 100;
    },
  );
}

/** R1: the two-month report is the 整改情况报告 with the top leader's 组织落实情况报告; a
 *  completion report sent when no earlier report carried one stands in for it and needs it too
 *  (as rectification refuses). Why it is needed, or "" when it is not. */
export function leaderReportNeeded(kind: string, earlier: { leader_report?: string | null }[]): string {
  if (kind === "formal") return "整改情况报告须附主要负责人组织落实情况（R1）";
  if (kind === "final" && !earlier.some((r) => r.leader_report?.trim())) return "尚未报送主要负责人组织落实情况，整改完成报告须一并附上（R1）";
  return "";
}
