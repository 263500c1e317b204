import { api, type Query } from "./api/client";

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

/** The services' largest page (xuncha_shared.http.paging.MAX_LIMIT). */
export const PAGE_SIZE = 500;

/** Every item of a list the service answers a page at a time (`limit`/`offset`), read until a
 *  page is empty: a page the service narrowed to what the reader may see can be short while
 *  more follow. */
export async function everyPage<T>(path: string, query: Query = {}): Promise<T[]> {
  const out: T[] = [];
  for (let offset = 0; ; offset += PAGE_SIZE) {
    const { items } = await api.get<{ items: T[] }>(path, { ...query, limit: PAGE_SIZE, offset });
    if (!items.length) return out;
    out.push(...items);
  }
}

/** A uuid as the services write them (ids in links and pasted ids are checked with it). */
export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
