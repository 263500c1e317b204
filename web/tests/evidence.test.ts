import { describe, expect, it } from "vitest";
import { MAX_EVIDENCE_BYTES, tooLarge } from "../src/evidence";

describe("evidence over the service's limit is refused before it is sent", () => {
  it("names the file and its size", () => {
    expect(tooLarge({ name: "台账.pdf", size: MAX_EVIDENCE_BYTES })).toBeNull();
    expect(tooLarge({ name: "台账.pdf", size: 21_000_000 })).toBe("“台账.pdf”有 21.0MB，单个文件不超过20MB，请压缩或分拆后上传");
  });
});
