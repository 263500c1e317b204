// Server-side paging of the workbench's lists (xuncha_shared.http.paging): the table's sort
// state as the services' `sort` parameter (a column, "-" in front for descending).

export interface TableSort {
  prop: string | null;
  order: string | null;
}

/** `sort` for a table sort state; `fallback` when the table is not sorted. */
export function sortParam(s: TableSort, fallback: string): string {
  if (!s.prop || !s.order) return fallback;
  return (s.order === "descending" ? "-" : "") + s.prop;
}
