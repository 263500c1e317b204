// What a form shows for a refused request: the summary line above it and, next to each field
// the service named (a 422's `errors`), that field's message, so "请检查标红的字段" always has
// fields marked red. Bind `:error="p.fields.<key>"` on each `el-form-item` (keys as
// `api/problem.fieldKey` gives them: "starts_on", "informant.phone").
import { reactive } from "vue";
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
  return problem;
}

/** A form's body without its blank entries (an empty text, an unpicked date or select): the
 *  service then says the field is required (必填) rather than that "" is not a date or an id. */
export function filled<T extends object>(form: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(form).filter(([, v]) => !(typeof v === "string" && v.trim() === "")),
  ) as Partial<T>;
}
