/**
 * Business hours of a reply rule: weekly opening windows in an IANA time zone, e.g.
 * `{ "timeZone": "Europe/Madrid", "when": "outside",
 *    "open": [{ "days": ["mon","tue","wed","thu","fri"], "from": "09:00", "to": "18:00" }] }`.
 * A window whose `to` is not after `from` runs past midnight into the next day ("22:00" to
 * "02:00"); "24:00" ends a window at midnight. Local time comes from Intl (the runtime's ICU
 * time-zone data), so daylight-saving changes follow the zone's rules without a table of ours.
 */

export const WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface OpeningWindow {
  days: Weekday[];
  /** "HH:MM", 00:00 to 23:59. */
  from: string;
  /** "HH:MM", 00:01 to 24:00. */
  to: string;
}

export interface BusinessHoursSpec {
  timeZone: string;
  open: OpeningWindow[];
  /** The rule applies inside the opening windows, or outside them. */
  when: "inside" | "outside";
}

/** Validated business hours, ready to test instants against. */
export interface BusinessHours {
  spec: BusinessHoursSpec;
  /** Half-open [start, end) intervals in minutes of the week, Monday 00:00 = 0. */
  intervals: [number, number][];
  formatter: Intl.DateTimeFormat;
}

const DAY_MINUTES = 24 * 60;
const WEEK_MINUTES = 7 * DAY_MINUTES;
const CLOCK = /^([01]\d|2[0-4]):([0-5]\d)$/;

/** Minutes after midnight of an "HH:MM" time, or undefined when it is not one. */
export function clockMinutes(value: string, { allowMidnightEnd = false } = {}): number | undefined {
  const parsed = CLOCK.exec(value);
  if (!parsed) return undefined;
  const minutes = Number(parsed[1]) * 60 + Number(parsed[2]);
  if (minutes > DAY_MINUTES || (minutes === DAY_MINUTES && !allowMidnightEnd)) return undefined;
  return minutes;
}

/** What business hours read of an instant: weekday, hour and minute. */
const WEEK_PARTS: Intl.DateTimeFormatOptions = {
  weekday: "short",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
};
/** What dates read of an instant: the calendar day. */
const DAY_PARTS: Intl.DateTimeFormatOptions = { year: "numeric", month: "2-digit", day: "2-digit" };

/** A formatter giving `parts` of an instant in `timeZone`; undefined for an unknown zone. */
function zoneFormatter(
  timeZone: string,
  parts: Intl.DateTimeFormatOptions,
): Intl.DateTimeFormat | undefined {
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone, ...parts });
  } catch {
    return undefined;
  }
}

/**
 * Checks and compiles business hours; each problem is reported as (field below the condition,
 * message) and the result is undefined when there was any. Tolerant of a spec whose fields have
 * the wrong types (zod reports those): it checks what it can read, so one pass reports the zone,
 * the times and the schema's own problems together.
 */
export function compileBusinessHours(
  spec: BusinessHoursSpec,
  problem: (field: string, message: string) => void,
): BusinessHours | undefined {
  let ok = true;
  const fail = (field: string, message: string) => {
    ok = false;
    problem(field, message);
  };
  const formatter = checkedZone(spec.timeZone, WEEK_PARTS, fail);
  const intervals: [number, number][] = [];
  const windows: unknown[] = Array.isArray(spec.open) ? spec.open : [];
  windows.forEach((candidate, w) => {
    if (typeof candidate !== "object" || candidate === null) return;
    const window = candidate as Partial<OpeningWindow>;
    const from = typeof window.from === "string" ? clockMinutes(window.from) : undefined;
    const to =
      typeof window.to === "string"
        ? clockMinutes(window.to, { allowMidnightEnd: true })
        : undefined;
    if (typeof window.from === "string" && from === undefined) {
      fail(`open[${w}].from`, 'must be a time "HH:MM" from 00:00 to 23:59');
    }
    if (typeof window.to === "string" && to === undefined) {
      fail(`open[${w}].to`, 'must be a time "HH:MM" from 00:00 to 24:00');
    }
    if (from === undefined || to === undefined) return;
    if (from === to) {
      fail(`open[${w}].to`, "must differ from from (for a whole day write 00:00 to 24:00)");
      return;
    }
    const days = Array.isArray(window.days) ? window.days : [];
    for (const day of new Set(days)) {
      const index = WEEKDAYS.indexOf(day);
      if (index < 0) continue;
      const start = index * DAY_MINUTES + from;
      // Not after `from`: the window runs past midnight into the next day.
      const end = index * DAY_MINUTES + (to > from ? to : to + DAY_MINUTES);
      if (end <= WEEK_MINUTES) intervals.push([start, end]);
      else intervals.push([start, WEEK_MINUTES], [0, end - WEEK_MINUTES]);
    }
  });
  return ok && formatter ? { spec, intervals, formatter } : undefined;
}

/** The zone's formatter, or a problem at `timeZone` when the value is a string but no known zone. */
function checkedZone(
  timeZone: unknown,
  parts: Intl.DateTimeFormatOptions,
  fail: (field: string, message: string) => void,
): Intl.DateTimeFormat | undefined {
  if (typeof timeZone !== "string") return undefined;
  const formatter = zoneFormatter(timeZone, parts);
  if (!formatter) {
    fail("timeZone", `"${timeZone}" is not a known IANA time zone (e.g. Europe/Madrid)`);
  }
  return formatter;
}

/** Minute of the week (Monday 00:00 = 0) of an instant in the hours' time zone. */
function minuteOfWeek(hours: BusinessHours, epochMs: number): number {
  const parts = hours.formatter.formatToParts(new Date(epochMs));
  const get = (type: string) => parts.find((part) => part.type === type)?.value ?? "";
  const day = WEEKDAYS.indexOf(get("weekday").toLowerCase().slice(0, 3) as Weekday);
  return day * DAY_MINUTES + Number(get("hour")) * 60 + Number(get("minute"));
}

/** True when the instant is inside one of the opening windows. */
export function isOpenAt(hours: BusinessHours, epochMs: number): boolean {
  const minute = minuteOfWeek(hours, epochMs);
  return hours.intervals.some(([start, end]) => minute >= start && minute < end);
}

/** True when the rule's business-hours condition holds at the instant. */
export function businessHoursHold(hours: BusinessHours, epochMs: number): boolean {
  return isOpenAt(hours, epochMs) === (hours.spec.when === "inside");
}

// ── Dates: closures and holidays ───────────────────────────────────────────────────────────────

/**
 * Calendar dates of a reply rule (a holiday, a closure), in an IANA time zone:
 * `{ "timeZone": "Europe/Madrid", "on": ["2026-12-25", { "from": "2026-12-31", "to": "2027-01-01" }] }`.
 * A date is the whole local day, midnight to midnight in the zone; a range includes both ends.
 */
export interface DateRange {
  /** "YYYY-MM-DD", the first day. */
  from: string;
  /** "YYYY-MM-DD", the last day (included). */
  to: string;
}

export interface DatesSpec {
  timeZone: string;
  /** Single days ("YYYY-MM-DD") and ranges of days. */
  on: (string | DateRange)[];
}

/** Validated dates, ready to test instants against. */
export interface Dates {
  spec: DatesSpec;
  /** Inclusive [first, last] days as "YYYY-MM-DD" (they sort as dates). */
  ranges: [string, string][];
  formatter: Intl.DateTimeFormat;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** True for a real calendar day written "YYYY-MM-DD" (no 2026-02-30). */
function isCalendarDate(value: string): boolean {
  const parsed = DATE.exec(value);
  if (!parsed) return false;
  const [year, month, day] = [Number(parsed[1]), Number(parsed[2]), Number(parsed[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return (
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
  );
}

const DAY_PROBLEM = 'must be a date "YYYY-MM-DD" (e.g. 2026-12-25)';

/**
 * Checks and compiles a dates condition, reporting each problem as (field below the condition,
 * message); undefined when there was any. Tolerant of wrong types, like compileBusinessHours.
 */
export function compileDates(
  spec: DatesSpec,
  problem: (field: string, message: string) => void,
): Dates | undefined {
  let ok = true;
  const fail = (field: string, message: string) => {
    ok = false;
    problem(field, message);
  };
  const formatter = checkedZone(spec.timeZone, DAY_PARTS, fail);
  const ranges: [string, string][] = [];
  const entries: unknown[] = Array.isArray(spec.on) ? spec.on : [];
  entries.forEach((entry, i) => {
    if (typeof entry === "string") {
      if (isCalendarDate(entry)) ranges.push([entry, entry]);
      else fail(`on[${i}]`, `${DAY_PROBLEM}, got "${entry}"`);
      return;
    }
    if (typeof entry !== "object" || entry === null) return;
    const { from, to } = entry as Partial<DateRange>;
    const goodFrom = typeof from === "string" && isCalendarDate(from);
    const goodTo = typeof to === "string" && isCalendarDate(to);
    if (typeof from === "string" && !goodFrom) fail(`on[${i}].from`, DAY_PROBLEM);
    if (typeof to === "string" && !goodTo) fail(`on[${i}].to`, DAY_PROBLEM);
    if (!goodFrom || !goodTo) return;
    if (to < from) fail(`on[${i}].to`, `(${to}) is before from (${from})`);
    else ranges.push([from, to]);
  });
  return ok && formatter ? { spec, ranges, formatter } : undefined;
}

/** The local calendar day ("YYYY-MM-DD") of an instant in the condition's time zone. */
function localDay(dates: Dates, epochMs: number): string {
  const parts = dates.formatter.formatToParts(new Date(epochMs));
  const get = (type: string) => parts.find((part) => part.type === type)?.value ?? "";
  return `${get("year")}-${get("month")}-${get("day")}`;
}

/** True when the instant falls on one of the condition's days, in its time zone. */
export function datesHold(dates: Dates, epochMs: number): boolean {
  const day = localDay(dates, epochMs);
  return dates.ranges.some(([first, last]) => day >= first && day <= last);
}
