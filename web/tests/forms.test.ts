import { describe, expect, it } from "vitest";

/** Every page's source, as text (Vite's raw import). */
const SOURCES = import.meta.glob("../src/**/*.vue", { query: "?raw", import: "default", eager: true }) as Record<string, string>;

describe("forms", () => {
  it("are read", () => {
    expect(Object.keys(SOURCES).length).toBeGreaterThan(20);
  });

  // A browser submits a form when Enter is pressed in its only text field (a date picker's, say):
  // without the handler the page reloads and what was typed in the dialog is lost.
  it.each(Object.entries(SOURCES))("%s: every el-form prevents the browser's own submit", (_, text) => {
    const tags = text.match(/<el-form(?![-\w])[^>]*>/g) ?? [];
    for (const tag of tags) expect(tag, tag).toMatch(/@submit\.prevent/);
  });
});
