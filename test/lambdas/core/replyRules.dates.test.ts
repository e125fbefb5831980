import { describe, expect, it } from "vitest";
import { ReplyRulesError } from "../../../lambdas/core/errors.js";
import {
  matchRule,
  parseReplyRules,
  type ReplyPolicyInput,
} from "../../../lambdas/core/replyRules.js";
import type { ReplyRuleDocument } from "../../../lambdas/core/ruleDocument.js";
import { aWebhook } from "../../support/replyFixtures.js";
import { thrown } from "../../support/thrown.js";

/**
 * Holidays and closures: rules that apply on calendar days in a time zone, and a closure rule
 * that answers before every other rule on its days (and only then).
 */

const at = (iso: string): ReplyPolicyInput => ({
  webhook: aWebhook({ lastMessageOfUser: "hello" }),
  acceptedAt: Date.parse(iso),
  jobKey: "job-1",
});

const everyday: ReplyRuleDocument = {
  name: "greeting",
  match: "hello",
  messages: [{ text: "Hi! How can we help?", delay: 0 }],
};
const christmas: ReplyRuleDocument = {
  name: "christmas closure",
  dates: {
    timeZone: "Europe/Madrid",
    on: ["2026-12-25", { from: "2026-12-31", to: "2027-01-01" }],
  },
  closure: true,
  messages: [{ text: "We are closed today; we answer on the next working day.", delay: 0 }],
};

const nameOf = (rules: ReplyRuleDocument[], input: ReplyPolicyInput) =>
  matchRule(parseReplyRules(rules), input)?.name;

describe("a closure rule", () => {
  it("answers on its dates even when it stands after a rule that matches", () => {
    expect(nameOf([everyday, christmas], at("2026-12-25T10:00:00Z"))).toBe("christmas closure");
    expect(nameOf([everyday, christmas], at("2027-01-01T22:59:00Z"))).toBe("christmas closure");
  });

  it("leaves the other rules to answer on every other day", () => {
    expect(nameOf([everyday, christmas], at("2026-12-24T10:00:00Z"))).toBe("greeting");
    expect(nameOf([everyday, christmas], at("2026-12-28T10:00:00Z"))).toBe("greeting");
  });

  it("judges the day in its time zone, not in UTC", () => {
    // 23:30 UTC on the 24th is already the 25th in Madrid (UTC+1); 23:30 UTC on the 25th is the 26th.
    expect(nameOf([everyday, christmas], at("2026-12-24T23:30:00Z"))).toBe("christmas closure");
    expect(nameOf([everyday, christmas], at("2026-12-25T23:30:00Z"))).toBe("greeting");
  });

  it("is refused without dates, which would silence every other rule", () => {
    const error = thrown(ReplyRulesError, () =>
      parseReplyRules([{ ...christmas, dates: undefined }]),
    );
    expect(error.problems).toEqual([
      expect.objectContaining({
        ruleIndex: 0,
        field: "closure",
        problem: expect.stringMatching(/needs "dates"/),
      }),
    ]);
  });
});

describe("a dates condition without closure", () => {
  it("applies on its days in rule order like any condition", () => {
    const sale = { ...everyday, name: "sale", dates: { timeZone: "UTC", on: ["2026-11-27"] } };
    expect(nameOf([sale, everyday], at("2026-11-27T12:00:00Z"))).toBe("sale");
    expect(nameOf([sale, everyday], at("2026-11-28T12:00:00Z"))).toBe("greeting");
    expect(nameOf([everyday, sale], at("2026-11-27T12:00:00Z"))).toBe("greeting");
  });

  it("refuses days that are not calendar days, and ranges that end before they start", () => {
    const error = thrown(ReplyRulesError, () =>
      parseReplyRules([
        {
          ...everyday,
          dates: {
            timeZone: "Europe/Madird",
            on: ["2026-02-30", "25/12/2026", { from: "2027-01-02", to: "2027-01-01" }],
          },
        },
      ]),
    );
    expect(error.problems.map((p) => p.field)).toEqual([
      "dates.timeZone",
      "dates.on[0]",
      "dates.on[1]",
      "dates.on[2].to",
    ]);
  });
});

describe("parseReplyRules reports every problem in one pass", () => {
  it("names problems at every level of a rule at once: fields, conditions, messages and their order", () => {
    const error = thrown(ReplyRulesError, () =>
      parseReplyRules([
        {
          match: "hi",
          businessHours: {
            timeZone: "Mars/Olympus",
            when: "sometimes",
            open: [{ days: ["mon"], from: "9am", to: "18:00" }],
          },
          messages: [
            { text: "", delay: 5000 },
            { text: "then", delay: 1000 },
            { text: "and", delay: 500 },
          ],
        },
        { match: "(", messages: [{ text: "x", delay: 0 }], colour: "blue" },
      ]),
    );
    expect(error.problems.map((p) => `${p.ruleIndex} ${p.field}`).sort()).toEqual(
      [
        "0 businessHours.when",
        "0 businessHours.timeZone",
        "0 businessHours.open[0].from",
        "0 messages[0].text",
        "0 messages[1].delay",
        "0 messages[2].delay",
        "1 match",
        "1 colour",
      ].sort(),
    );
  });
});
