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

/** A formatter giving weekday, hour and minute in `timeZone`; undefined for an unknown zone. */
function zoneFormatter(timeZone: string): Intl.DateTimeFormat | undefined {
  try {
    return new Intl.DateTimeFormat("en-US", {
      timeZone,
      weekday: "short",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    });
  } catch {
    return undefined;
  }
}

/**
 * Checks and compiles business hours; each problem is reported as (field below the condition,
 * message) and the result is undefined when there was any.
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
  const formatter = zoneFormatter(spec.timeZone);
  if (!formatter) {
    fail("timeZone", `"${spec.timeZone}" is not a known IANA time zone (e.g. Europe/Madrid)`);
  }
  const intervals: [number, number][] = [];
  spec.open.forEach((window, w) => {
    const from = clockMinutes(window.from);
    const to = clockMinutes(window.to, { allowMidnightEnd: true });
    if (from === undefined) fail(`open[${w}].from`, 'must be a time "HH:MM" from 00:00 to 23:59');
    if (to === undefined) fail(`open[${w}].to`, 'must be a time "HH:MM" from 00:00 to 24:00');
    if (from === undefined || to === undefined) return;
    if (from === to) {
      fail(`open[${w}].to`, "must differ from from (for a whole day write 00:00 to 24:00)");
      return;
    }
    for (const day of new Set(window.days)) {
      const start = WEEKDAYS.indexOf(day) * DAY_MINUTES + from;
      // Not after `from`: the window runs past midnight into the next day.
      const end = WEEKDAYS.indexOf(day) * DAY_MINUTES + (to > from ? to : to + DAY_MINUTES);
      if (end <= WEEK_MINUTES) intervals.push([start, end]);
      else intervals.push([start, WEEK_MINUTES], [0, end - WEEK_MINUTES]);
    }
  });
  return ok && formatter ? { spec, intervals, formatter } : undefined;
}

/** Minute of the week (Monday 00:00 = 0) of an instant in the hours' time zone. */
export function minuteOfWeek(hours: BusinessHours, epochMs: number): number {
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
