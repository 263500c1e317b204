// A service's draft (两公开's publication, an opinion on a cadre) replaces what the form holds:
// asked first when something was typed, so that a click does not throw away a person's words.
import { ElMessageBox } from "element-plus";

/** Whether the draft may replace the typed `what` (已填写的…): yes when nothing was typed, else
 *  when the person says so. */
export async function mayReplaceWithDraft(typed: boolean, what: string): Promise<boolean> {
  if (!typed) return true;
  try {
    await ElMessageBox.confirm(`生成草稿将覆盖已填写的${what}，是否继续？`, "生成草稿", {
      confirmButtonText: "覆盖", cancelButtonText: "取消", type: "warning",
    });
    return true;
  } catch {
    return false; // kept what was typed
  }
}

/** a draft's blank (____) however shortened or typed: the services refuse a text that keeps one */
export const BLANK = /[_＿]{2,}/;
