// 佐证材料: a file of evidence uploaded to rectification (``POST /api/v1/evidence``), refused
// before sending when it is larger than the service takes
import { upload } from "./api/client";
import { errorText } from "./api/problem";

/** rectification's limit on one file of evidence (``evidence_api.MAX_EVIDENCE_BYTES``) */
export const MAX_EVIDENCE_BYTES = 20 * 1000 * 1000;
/** the file types rectification reads from the bytes (the pickers offer only these) */
export const EVIDENCE_ACCEPT = ".pdf,.jpg,.jpeg,.png,.docx,.xlsx";

export interface Evidence { evidence_id: string; sha256?: string; filename: string; url?: string }

/** Why a file is not sent (said at once: the service, and the proxy before it, would refuse it
 *  whole), or null when it may be. */
export function tooLarge(file: { name: string; size: number }): string | null {
  if (file.size <= MAX_EVIDENCE_BYTES) return null;
  return `“${file.name}”有 ${(file.size / 1e6).toFixed(1)}MB，单个文件不超过20MB，请压缩或分拆后上传`;
}

/** The file uploaded; its id is what a report, a verification or a task's completion cites.
 *  An office names the unit whose issue it cites the file for (``unit_id``): the file is then
 *  that unit's and its area's, as the issue is (a city office's file for a county's issue). */
export async function uploadEvidence(file: File, unitId?: string): Promise<Evidence> {
  const form = new FormData();
  form.append("file", file, file.name);
  if (unitId) form.append("unit_id", unitId);
  return upload<Evidence>("/api/v1/evidence", form);
}

/** A file input's chosen file uploaded into a form's evidence list (a dialog's 佐证材料): too
 *  large, or refused by the service, it is said in the form's ``error`` instead; ``uploading``
 *  is set meanwhile; the input is emptied either way, so the same file may be chosen again. */
export async function addChosenEvidence(
  ev: Event,
  form: { evidence: Evidence[]; error: string; uploading?: boolean },
  unitId?: string,
): Promise<void> {
  const input = ev.target as HTMLInputElement;
  const file = input.files?.[0];
  if (!file) return;
  form.error = tooLarge(file) ?? "";
  form.uploading = true;
  try {
    if (!form.error) form.evidence.push(await uploadEvidence(file, unitId));
  } catch (err) {
    form.error = errorText(err);
  } finally {
    form.uploading = false;
    input.value = "";
  }
}
