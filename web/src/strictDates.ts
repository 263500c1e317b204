// A typed date is taken as typed: one that does not exist (2026-02-30) is no date at all,
// never rolled over into the next month (2026-03-02) as dayjs's lenient parsing does. The date
// pickers (Element Plus) parse what is typed with dayjs and the format; installed before any
// picker loads, this plugin wraps that parse (customParseFormat is extended here first, so the
// pickers' own extend of it is a no-op and every parse goes through the check).
import dayjs from "dayjs";
import customParseFormat from "dayjs/plugin/customParseFormat.js";

/** formats of a whole date, year first (the pickers' YYYY-MM-DD, or YYYY年MM月DD日) */
const YEAR_MONTH_DAY = /^YYYY[^A-Za-z]*M{1,2}[^A-Za-z]*D{1,2}[^A-Za-z]*$/;

interface ParseConfig {
  date: unknown;
  args?: unknown[];
}
interface Parsed {
  $d: Date;
  init(): void;
  isValid(): boolean;
  year(): number;
  month(): number;
  date(): number;
}

/** Whether ``typed`` (in ``format``) names the day ``parsed`` holds: its three numbers. */
export function namesDay(typed: string, format: string, parsed: Parsed): boolean {
  if (!YEAR_MONTH_DAY.test(format)) return true;
  const numbers = (typed.match(/\d+/g) ?? []).map(Number);
  if (numbers.length !== 3) return true; // not a whole date: the picker's own rules apply
  return numbers[0] === parsed.year() && numbers[1] === parsed.month() + 1 && numbers[2] === parsed.date();
}

export const strictDates: dayjs.PluginFunc = (_option, Dayjs) => {
  const proto = Dayjs.prototype as unknown as { parse(cfg: ParseConfig): void };
  const parse = proto.parse;
  proto.parse = function (this: Parsed, cfg: ParseConfig) {
    parse.call(this, cfg);
    const format = cfg.args?.[1];
    if (typeof cfg.date === "string" && typeof format === "string" && this.isValid() && !namesDay(cfg.date, format, this)) {
      this.$d = new Date(Number.NaN);
      this.init();
    }
  };
};

export function installStrictDates(): void {
  dayjs.extend(customParseFormat);
  dayjs.extend(strictDates);
}
