// What a form shows for a refused request: the summary line above it and, next to each field
// the service named (a 422's `errors`), that field's message, so "请检查标红的字段" always has
// fields marked red. Bind `:error="p.fields.<key>"` on each `el-form-item` (keys as
// `api/problem.fieldKey` gives them: "starts_on", "informant.phone").
import { reactive, watch, type WatchStopHandle } from "vue";
import { ApiError, errorText } from "./api/problem";

export interface FormProblem {
  message: string;
  fields: Record<string, string>;
  clear(): void;
  take(err: unknown): void;
}

export function formProblem(): FormProblem {
  const problem: FormProblem = reactive({
    message: "",
    fields: {},
    clear() {
      problem.message = "";
      problem.fields = {};
    },
    take(err: unknown) {
      problem.message = errorText(err);
      problem.fields = err instanceof ApiError ? { ...err.zh.fields } : {};
    },
  });
  // a summary that points at the red fields ("请检查标红的字段") goes with the last of them:
  // once every marked field was changed it points at nothing
  watch(
    () => Object.keys(problem.fields).length,
    (now, before) => {
      if (now === 0 && before > 0 && problem.message.includes("标红")) problem.message = "";
    },
  );
  return problem;
}

/** A refusal of the whole request that is about one field (the service's check of a day
 *  against others: "纳入日期 … 早于该轮巡察结束"), said beside that field rather than above the
 *  form: ``leads`` maps a field to the words such a message begins with. */
export function besideField(problem: FormProblem, leads: Record<string, string>): void {
  if (Object.keys(problem.fields).length || !problem.message) return;
  const said = problem.message.replace(/^输入有误[：:]\s*/, ""); // a 422's lead-in
  for (const [field, words] of Object.entries(leads)) {
    if (said.startsWith(words)) {
      problem.fields = { [field]: said };
      problem.message = "";
      return;
    }
  }
}

/** A form's body without its blank entries (an empty text, an unpicked or cleared date or
 *  select: "" or null): the service then says the field is required (必填) rather than that ""
 *  or null is not a date or an id. */
export function filled<T extends object>(form: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(form).filter(([, v]) => v !== null && !(typeof v === "string" && v.trim() === "")),
  ) as Partial<T>;
}

/** Each leaf of a form's model by its dotted path ("informant.phone"), as JSON; an array is one
 *  leaf. */
function leaves(value: unknown, path: string, out: Map<string, string>): Map<string, string> {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) leaves(v, path ? `${path}.${k}` : k, out);
  } else {
    out.set(path, JSON.stringify(value ?? null));
  }
  return out;
}

/** Takes a field's message away as soon as the user changes that field: a message about a value
 *  since corrected is no longer true (the next submit checks everything again). `fields` gives
 *  the record the form's messages are in, keyed as the model's fields ("summary",
 *  "informant.phone"; a message under "issues.0.description" goes when `issues` changes);
 *  `also` names the messages a field's change answers under other keys (a picked `unit_id`
 *  answers "请选择被巡察单位" under `unit`). */
export function clearWhenEdited(
  form: object,
  fields: () => Record<string, string>,
  also: Record<string, string[]> = {},
): WatchStopHandle {
  let before = leaves(form, "", new Map());
  return watch(
    () => leaves(form, "", new Map()),
    (now) => {
      const messages = fields();
      for (const [path, value] of now) {
        if (before.get(path) === value) continue;
        for (const key of Object.keys(messages)) {
          if (key === path || key.startsWith(`${path}.`) || key.startsWith(`${path}[`)) delete messages[key];
        }
        for (const key of also[path] ?? []) delete messages[key];
      }
      before = now;
    },
  );
}
