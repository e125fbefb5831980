import { describe, expect, it } from "vitest";
import {
  type BusinessHoursSpec,
  businessHoursHold,
  clockMinutes,
  compileBusinessHours,
  isOpenAt,
} from "../../../lambdas/core/businessHours.js";

function compile(spec: BusinessHoursSpec) {
  const problems: string[] = [];
  const hours = compileBusinessHours(spec, (field, message) =>
    problems.push(`${field} ${message}`),
  );
  return { hours, problems };
}

function hoursOf(spec: BusinessHoursSpec) {
  const { hours, problems } = compile(spec);
  if (!hours) throw new Error(problems.join("; "));
  return hours;
}

const weekdays9to18 = (timeZone: string, when: "inside" | "outside" = "inside") =>
  hoursOf({
    timeZone,
    when,
    open: [{ days: ["mon", "tue", "wed", "thu", "fri"], from: "09:00", to: "18:00" }],
  });

const at = (iso: string) => Date.parse(iso);

describe("business hours", () => {
  it("reads times as HH:MM, with 24:00 only as an end", () => {
    expect(clockMinutes("09:30")).toBe(570);
    expect(clockMinutes("24:00")).toBeUndefined();
    expect(clockMinutes("24:00", { allowMidnightEnd: true })).toBe(1440);
    expect(clockMinutes("9:30")).toBeUndefined();
    expect(clockMinutes("12:60")).toBeUndefined();
  });

  it("is open from the opening minute up to, not including, closing time, in local time", () => {
    const madrid = weekdays9to18("Europe/Madrid");
    // Winter: Madrid is UTC+1.
    expect(isOpenAt(madrid, at("2026-11-30T07:59:00Z"))).toBe(false);
    expect(isOpenAt(madrid, at("2026-11-30T08:00:00Z"))).toBe(true);
    expect(isOpenAt(madrid, at("2026-11-30T16:59:00Z"))).toBe(true);
    expect(isOpenAt(madrid, at("2026-11-30T17:00:00Z"))).toBe(false);
  });

  it("follows daylight saving time", () => {
    const madrid = weekdays9to18("Europe/Madrid");
    // Summer: Madrid is UTC+2, so 07:30 UTC is 09:30 local.
    expect(isOpenAt(madrid, at("2026-07-01T07:30:00Z"))).toBe(true);
    expect(isOpenAt(madrid, at("2026-11-30T07:30:00Z"))).toBe(false);
  });

  it("uses the local weekday, which may differ from the UTC one", () => {
    const tokyo = weekdays9to18("Asia/Tokyo");
    // Sunday 2026-11-29 23:30 UTC is Monday 08:30 in Tokyo; 00:30 UTC is Monday 09:30.
    expect(isOpenAt(tokyo, at("2026-11-29T23:30:00Z"))).toBe(false);
    expect(isOpenAt(tokyo, at("2026-11-30T00:30:00Z"))).toBe(true);
    expect(isOpenAt(tokyo, at("2026-11-28T01:00:00Z"))).toBe(false); // Saturday 10:00
  });

  it("runs a window past midnight into the next day, even from Sunday into Monday", () => {
    const night = hoursOf({
      timeZone: "UTC",
      when: "inside",
      open: [{ days: ["sun"], from: "22:00", to: "02:00" }],
    });
    expect(isOpenAt(night, at("2026-11-29T23:00:00Z"))).toBe(true); // Sunday 23:00
    expect(isOpenAt(night, at("2026-11-30T01:59:00Z"))).toBe(true); // Monday 01:59
    expect(isOpenAt(night, at("2026-11-30T02:00:00Z"))).toBe(false);
    expect(isOpenAt(night, at("2026-11-29T21:59:00Z"))).toBe(false);
  });

  it("treats 00:00 to 24:00 as the whole day", () => {
    const saturday = hoursOf({
      timeZone: "UTC",
      when: "inside",
      open: [{ days: ["sat"], from: "00:00", to: "24:00" }],
    });
    expect(isOpenAt(saturday, at("2026-11-28T00:00:00Z"))).toBe(true);
    expect(isOpenAt(saturday, at("2026-11-28T23:59:00Z"))).toBe(true);
    expect(isOpenAt(saturday, at("2026-11-29T00:00:00Z"))).toBe(false);
  });

  it("combines several windows", () => {
    const split = hoursOf({
      timeZone: "UTC",
      when: "inside",
      open: [
        { days: ["mon"], from: "09:00", to: "13:00" },
        { days: ["mon"], from: "15:00", to: "19:00" },
      ],
    });
    expect(isOpenAt(split, at("2026-11-30T14:00:00Z"))).toBe(false);
    expect(isOpenAt(split, at("2026-11-30T15:00:00Z"))).toBe(true);
  });

  it('holds inside the windows for "inside" and outside them for "outside"', () => {
    const monday10 = at("2026-11-30T10:00:00Z");
    const sunday10 = at("2026-11-29T10:00:00Z");
    expect(businessHoursHold(weekdays9to18("UTC", "inside"), monday10)).toBe(true);
    expect(businessHoursHold(weekdays9to18("UTC", "inside"), sunday10)).toBe(false);
    expect(businessHoursHold(weekdays9to18("UTC", "outside"), monday10)).toBe(false);
    expect(businessHoursHold(weekdays9to18("UTC", "outside"), sunday10)).toBe(true);
  });

  it("refuses an unknown time zone, bad times and an empty window, naming each field", () => {
    const { hours, problems } = compile({
      timeZone: "Mars/Olympus_Mons",
      when: "inside",
      open: [
        { days: ["mon"], from: "9:00", to: "18:00" },
        { days: ["tue"], from: "10:00", to: "10:00" },
      ],
    });
    expect(hours).toBeUndefined();
    expect(problems).toEqual([
      'timeZone "Mars/Olympus_Mons" is not a known IANA time zone (e.g. Europe/Madrid)',
      'open[0].from must be a time "HH:MM" from 00:00 to 23:59',
      "open[1].to must differ from from (for a whole day write 00:00 to 24:00)",
    ]);
  });
});
