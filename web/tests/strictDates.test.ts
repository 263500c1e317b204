import dayjs from "dayjs";
import { describe, expect, it } from "vitest";
import { installStrictDates } from "../src/strictDates";

installStrictDates();

describe("a typed date is taken as typed", () => {
  it("a day that does not exist is no date, not the next month's", () => {
    expect(dayjs("2026-02-30", "YYYY-MM-DD").isValid()).toBe(false);
    expect(dayjs("2026-04-31", "YYYY-MM-DD").isValid()).toBe(false);
    expect(dayjs("2026-13-01", "YYYY-MM-DD").isValid()).toBe(false);
    expect(dayjs("2027-02-29", "YYYY-MM-DD").isValid()).toBe(false);
  });
  it("a real day is kept", () => {
    expect(dayjs("2028-02-29", "YYYY-MM-DD").format("YYYY-MM-DD")).toBe("2028-02-29");
    expect(dayjs("2026-03-02", "YYYY-MM-DD").format("YYYY-MM-DD")).toBe("2026-03-02");
    expect(dayjs("2026-12-05", "YYYY-MM-DD").isValid()).toBe(true);
  });
  it("other parses are left alone", () => {
    expect(dayjs("2026-12-05T08:00:00+08:00").isValid()).toBe(true);
    expect(dayjs(new Date(2026, 1, 28)).isValid()).toBe(true);
    expect(dayjs("10:30", "HH:mm").isValid()).toBe(true);
  });
});
