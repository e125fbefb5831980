import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ReplyRulesError } from "../../../lambdas/core/errors.js";
import type { NormalizedWebhook } from "../../../lambdas/core/messages.js";
import {
  lastUserText,
  MAX_PLAN_MESSAGES,
  MAX_REPLY_DELAY_MS,
  MAX_TEXT_LENGTH,
  matchRule,
  parseReplyRules,
  type ReplyPolicyInput,
  rulesPolicy,
  validateReplyMessages,
} from "../../../lambdas/core/replyRules.js";
import { aWebhook } from "../../support/replyFixtures.js";
import { thrown } from "../../support/thrown.js";

const greeting = {
  match: "hi|hello|hola",
  messages: [
    { text: "Hi!", delay: 0 },
    { text: "How can we help?", delay: 2000 },
  ],
};
const catchAll = { match: ".*", messages: [{ text: "Type 'help' for options.", delay: 0 }] };
const reply = (text = "a", delay = 0) => ({ text, delay });

/** Monday 2026-11-30 10:00 in Madrid (UTC+1 in winter). */
const MONDAY_10_MADRID = Date.parse("2026-11-30T09:00:00Z");

const errorOf = (action: () => unknown) => thrown(ReplyRulesError, action);

function input(
  overrides: Partial<NormalizedWebhook> = {},
  acceptedAt = MONDAY_10_MADRID,
): ReplyPolicyInput {
  return { webhook: aWebhook(overrides), acceptedAt, jobKey: "job-1" };
}

const said = (text: string, overrides: Partial<NormalizedWebhook> = {}) =>
  input({ lastMessageOfUser: text, ...overrides });

describe("parseReplyRules: the documented form", () => {
  it("converts delays to delayMs and keeps the pattern source", () => {
    const [rule] = parseReplyRules([greeting]);
    expect(rule?.match).toBe("hi|hello|hola");
    expect(rule?.messages).toEqual([
      { text: "Hi!", delayMs: 0 },
      { text: "How can we help?", delayMs: 2000 },
    ]);
  });

  it("accepts the rules as JSON text", () => {
    expect(parseReplyRules(JSON.stringify([greeting, catchAll]))).toHaveLength(2);
  });

  it("keeps attachment and filename", () => {
    const [rule] = parseReplyRules([
      {
        match: "menu",
        messages: [
          { text: "Our menu", delay: 0, attachment: "https://x.test/m.pdf", filename: "m.pdf" },
        ],
      },
    ]);
    expect(rule?.messages[0]).toEqual({
      text: "Our menu",
      delayMs: 0,
      attachment: "https://x.test/m.pdf",
      filename: "m.pdf",
    });
  });

  it("accepts an empty rule list (never reply)", () => {
    expect(parseReplyRules([])).toEqual([]);
  });

  it("accepts a delay exactly at the waiting_duration", () => {
    expect(parseReplyRules([greeting], { waitingDurationSeconds: 2 })).toHaveLength(1);
  });

  it('carries onNewMessage, "supersede" unless a rule says "keep"', () => {
    const [plain, kept] = parseReplyRules([greeting, { ...greeting, onNewMessage: "keep" }]);
    expect(plain?.onNewMessage).toBe("supersede");
    expect(kept?.onNewMessage).toBe("keep");
  });

  it("accepts a rule without match when a condition stands in for it", () => {
    const [rule] = parseReplyRules([{ messageType: "image", messages: [reply("Nice photo")] }]);
    expect(rule?.match).toBe("");
  });

  it("keeps a rule's name for its errors and logs", () => {
    expect(parseReplyRules([{ name: "greeting", ...greeting }])[0]?.name).toBe("greeting");
  });
});

describe("parseReplyRules: what the responder refuses fails validation, naming rule and field", () => {
  it("rejects invalid JSON text", () => {
    expect(errorOf(() => parseReplyRules("[{")).message).toMatch(/not valid JSON/);
  });

  it("rejects a document that is not an array", () => {
    expect(errorOf(() => parseReplyRules({ rules: [] })).message).toMatch(/must be a JSON array/);
  });

  it("rejects a rule that is not an object", () => {
    expect(errorOf(() => parseReplyRules([greeting, "hi"])).message).toBe(
      'reply rule 1: must be an object {"match", "messages", …}',
    );
  });

  it("names the rule, field and position of a pattern RE2 does not accept", () => {
    const error = errorOf(() => parseReplyRules([greeting, { ...catchAll, match: "yes(?!no)" }]));
    expect(error.ruleIndex).toBe(1);
    expect(error.field).toBe("match");
    expect(error.message).toMatch(
      /^reply rule 1: match is not a pattern RE2 accepts: .* at character 4$/,
    );
  });

  it("names the rule by its name too", () => {
    const error = errorOf(() => parseReplyRules([{ name: "pricing", ...catchAll, match: "(" }]));
    expect(error.message).toMatch(/^reply rule 0 \("pricing"\): match /);
  });

  it("names the rule and message of a negative delay", () => {
    const error = errorOf(() =>
      parseReplyRules([{ match: "x", messages: [reply("a", 0), reply("b", -5)] }]),
    );
    expect(error.ruleIndex).toBe(0);
    expect(error.field).toBe("messages[1].delay");
    expect(error.message).toMatch(/must not be negative/);
  });

  it("rejects a fractional delay", () => {
    const error = errorOf(() => parseReplyRules([{ match: "x", messages: [reply("a", 1.5)] }]));
    expect(error.message).toMatch(/messages\[0\]\.delay must be a whole number/);
  });

  it("rejects a delay given as a string", () => {
    const error = errorOf(() =>
      parseReplyRules([{ match: "x", messages: [{ text: "a", delay: "0" }] }]),
    );
    expect(error.field).toBe("messages[0].delay");
  });

  it("rejects a delay beyond the webhook's waiting_duration", () => {
    const error = errorOf(() => parseReplyRules([greeting], { waitingDurationSeconds: 1 }));
    expect(error.ruleIndex).toBe(0);
    expect(error.field).toBe("messages[1].delay");
    expect(error.message).toMatch(/beyond the webhook's waiting_duration of 1 s/);
  });

  it("rejects a delay beyond 60 days even without a waiting_duration", () => {
    const error = errorOf(() =>
      parseReplyRules([{ match: "x", messages: [reply("a", MAX_REPLY_DELAY_MS + 1)] }]),
    );
    expect(error.message).toMatch(/60 days/);
  });

  it("rejects delays that decrease within a rule", () => {
    const error = errorOf(() =>
      parseReplyRules([{ match: "x", messages: [reply("a", 2000), reply("b", 0)] }]),
    );
    expect(error.field).toBe("messages[1].delay");
    expect(error.message).toMatch(/must not decrease/);
  });

  it("rejects a rule without messages", () => {
    const error = errorOf(() => parseReplyRules([{ match: "x", messages: [] }]));
    expect(error.field).toBe("messages");
  });

  it(`rejects a rule with more than ${MAX_PLAN_MESSAGES} messages`, () => {
    const messages = Array.from({ length: MAX_PLAN_MESSAGES + 1 }, () => reply());
    expect(errorOf(() => parseReplyRules([{ messages }])).field).toBe("messages");
  });

  it("rejects a blank text", () => {
    const error = errorOf(() => parseReplyRules([{ match: "x", messages: [reply("  ")] }]));
    expect(error.field).toBe("messages[0].text");
  });

  it.each([
    ["a zero width space", "\u200b", "U+200B at character 1"],
    ["no-break spaces", "\u00a0 \u00a0", "U+00A0 at character 1"],
    [
      "a word joiner and a Hangul filler",
      "\u2060\u3164",
      "U+2060 at character 1, U+3164 at character 2",
    ],
  ])(
    "rejects a text of only %s, naming the rule, the field and the characters",
    (_, text, where) => {
      const error = errorOf(() =>
        parseReplyRules([{ name: "greeting", match: "x", messages: [reply("ok"), reply(text)] }]),
      );
      expect(error.message).toBe(
        `reply rule 0 ("greeting"): messages[1].text must not be blank (only invisible characters: ${where})`,
      );
    },
  );

  it("rejects a text whose placeholders fall back to only invisible characters", () => {
    const error = errorOf(() => parseReplyRules([{ messages: [reply("{{first_name|\u200b}}")] }]));
    expect(error.message).toMatch(/is blank when the webhook has no value for its placeholders/);
  });

  it("rejects a placeholder whose fallback holds another placeholder, saying where", () => {
    const error = errorOf(() =>
      parseReplyRules([{ name: "hi", messages: [reply("Hi {{first_name|{{phone}}}}!")] }]),
    );
    expect(error.message).toBe(
      'reply rule 0 ("hi"): messages[0].text has a "{{" inside the fallback of {{first_name|…}} at character 17 (a fallback is plain text, not a placeholder)',
    );
  });

  it(`rejects a text longer than ${MAX_TEXT_LENGTH} characters`, () => {
    const error = errorOf(() =>
      parseReplyRules([{ messages: [reply("x".repeat(MAX_TEXT_LENGTH + 1))] }]),
    );
    expect(error.message).toMatch(/messages\[0\]\.text must be at most 4096 characters/);
  });

  it("rejects a misspelt field and suggests the right one", () => {
    const error = errorOf(() =>
      parseReplyRules([
        { match: "x", messages: [{ text: "a", delay: 0, attachement: "https://x.test/a.pdf" }] },
      ]),
    );
    expect(error.field).toBe("messages[0].attachement");
    expect(error.message).toMatch(
      /^reply rule 0: messages\[0\]\.attachement is not a field \(did you mean attachment\?\)/,
    );
  });

  it.each([
    {
      where: "a business-hours window",
      rule: {
        ...greeting,
        businessHours: {
          timeZone: "UTC",
          when: "inside",
          open: [{ days: ["mon"], from: "09:00", to: "18:00", too: "19:00" }],
        },
      },
      field: "businessHours.open[0].too",
      problem: "is not a field (did you mean to?) [fields: days, from, to]",
    },
    {
      where: "dates",
      rule: { ...greeting, dates: { timeZone: "UTC", on: ["2026-12-25"], of: 1 } },
      field: "dates.of",
      problem: "is not a field (did you mean on?) [fields: timeZone, on]",
    },
    {
      where: "a range of dates",
      rule: {
        ...greeting,
        dates: { timeZone: "UTC", on: [{ from: "2026-12-24", to: "2026-12-26", form: "x" }] },
      },
      field: "dates.on[0].form",
      problem: "is not a field (did you mean from?) [fields: from, to]",
    },
  ])("lists the fields of $where when a key there is misspelt", ({ rule, field, problem }) => {
    const error = errorOf(() => parseReplyRules([rule]));
    expect({ field: error.field, message: error.message }).toEqual({
      field,
      message: `reply rule 0: ${field} ${problem}`,
    });
  });

  it("lists a message's fields when a policy's message has a misspelt key", () => {
    expect(validateReplyMessages([{ text: "a", delay: 0, dealy: 1 }])).toEqual({
      ok: false,
      problems: [
        {
          field: "messages[0].dealy",
          problem:
            "is not a field (did you mean delay?) [fields: text, delay, attachment, filename]",
        },
      ],
    });
  });

  it("rejects an unknown rule field", () => {
    const error = errorOf(() => parseReplyRules([{ ...greeting, mach: "x" }]));
    expect(error.field).toBe("mach");
    expect(error.message).toMatch(/did you mean match\?/);
  });

  it("rejects an attachment that is not an http(s) URL", () => {
    const error = errorOf(() =>
      parseReplyRules([
        { match: "x", messages: [{ text: "a", delay: 0, attachment: "file:///etc/passwd" }] },
      ]),
    );
    expect(error.field).toBe("messages[0].attachment");
  });

  it("rejects an onNewMessage other than supersede or keep", () => {
    const error = errorOf(() => parseReplyRules([{ ...greeting, onNewMessage: "Keep" }]));
    expect(error.message).toBe('reply rule 0: onNewMessage must be "supersede" or "keep"');
  });

  it("reports every problem of every rule at once", () => {
    const error = errorOf(() =>
      parseReplyRules([
        { match: "(", messages: [{ text: "{{nmae}}", delay: 0 }] },
        greeting,
        { match: "x", messages: [reply("a", 5), reply("b", 1)], labels: [] },
      ]),
    );
    expect(error.problems.map((p) => [p.ruleIndex, p.field])).toEqual([
      [0, "match"],
      [0, "messages[0].text"],
      [2, "labels"],
      [2, "messages[1].delay"],
    ]);
  });
});

describe("parseReplyRules: conditions", () => {
  it("rejects an empty message-type list", () => {
    const error = errorOf(() => parseReplyRules([{ ...greeting, messageType: [] }]));
    expect(error.message).toBe("reply rule 0: messageType must list at least one type");
  });

  it("rejects a message type that is not text", () => {
    const error = errorOf(() => parseReplyRules([{ ...greeting, messageType: 3 }]));
    expect(error.field).toBe("messageType");
  });

  it("rejects labels given as one string", () => {
    const error = errorOf(() => parseReplyRules([{ ...greeting, labels: "vip" }]));
    expect(error.message).toBe('reply rule 0: labels must be a list of labels, e.g. ["vip"]');
  });

  it("rejects a blank label", () => {
    const error = errorOf(() => parseReplyRules([{ ...greeting, labels: ["vip", " "] }]));
    expect(error.field).toBe("labels[1]");
  });

  const hours = (overrides: Record<string, unknown> = {}) => ({
    timeZone: "Europe/Madrid",
    open: [{ days: ["mon", "tue", "wed", "thu", "fri"], from: "09:00", to: "18:00" }],
    when: "inside",
    ...overrides,
  });

  it("rejects an unknown time zone", () => {
    const error = errorOf(() =>
      parseReplyRules([{ ...greeting, businessHours: hours({ timeZone: "Europe/Madird" }) }]),
    );
    expect(error.field).toBe("businessHours.timeZone");
    expect(error.message).toMatch(/"Europe\/Madird" is not a known IANA time zone/);
  });

  it("rejects a time that is not HH:MM", () => {
    const error = errorOf(() =>
      parseReplyRules([
        {
          ...greeting,
          businessHours: hours({ open: [{ days: ["mon"], from: "9am", to: "18:00" }] }),
        },
      ]),
    );
    expect(error.field).toBe("businessHours.open[0].from");
  });

  it("rejects an unknown day", () => {
    const error = errorOf(() =>
      parseReplyRules([
        {
          ...greeting,
          businessHours: hours({ open: [{ days: ["monday"], from: "09:00", to: "18:00" }] }),
        },
      ]),
    );
    expect(error.field).toBe("businessHours.open[0].days[0]");
  });

  it("rejects business hours without inside or outside", () => {
    const error = errorOf(() =>
      parseReplyRules([{ ...greeting, businessHours: hours({ when: undefined }) }]),
    );
    expect(error.message).toBe('reply rule 0: businessHours.when must be "inside" or "outside"');
  });

  it("rejects a misspelt business-hours field", () => {
    const error = errorOf(() =>
      parseReplyRules([{ ...greeting, businessHours: { ...hours(), timezone: "UTC" } }]),
    );
    expect(error.message).toMatch(
      /businessHours\.timezone is not a field \(did you mean timeZone\?\)/,
    );
  });
});

describe("parseReplyRules: placeholders", () => {
  it("rejects an unknown placeholder, naming it and its position", () => {
    const error = errorOf(() =>
      parseReplyRules([{ match: "x", messages: [reply("Hello {{frist_name}}!")] }]),
    );
    expect(error.field).toBe("messages[0].text");
    expect(error.message).toMatch(
      /has an unknown placeholder \{\{frist_name\}\} at character 7 \(known: recipient_name, first_name/,
    );
  });

  it("rejects an unclosed placeholder", () => {
    const error = errorOf(() => parseReplyRules([{ messages: [reply("Hi {{first_name")] }]));
    expect(error.message).toMatch(/"\{\{" without a closing "\}\}" at character 4/);
  });

  it("rejects a text that is only placeholders without fallbacks (blank for a nameless contact)", () => {
    const error = errorOf(() => parseReplyRules([{ messages: [reply("{{first_name}}")] }]));
    expect(error.message).toMatch(/is blank when the webhook has no value for its placeholders/);
  });

  it("accepts a text that is only a placeholder with a fallback", () => {
    expect(parseReplyRules([{ messages: [reply("{{first_name|Hello}}")] }])).toHaveLength(1);
  });
});

describe("matchRule", () => {
  const rules = parseReplyRules([
    greeting,
    { match: "price|pricing", messages: [reply("$")] },
    catchAll,
  ]);

  it("lets the first matching rule win", () => {
    expect(matchRule(rules, said("hello, what is the price?"))?.match).toBe("hi|hello|hola");
  });

  it("matches case-insensitively", () => {
    expect(matchRule(rules, said("PRICING please"))?.match).toBe("price|pricing");
  });

  it("falls through to the catch-all", () => {
    expect(matchRule(rules, said("where are you located"))?.match).toBe(".*");
  });

  it("finds nothing when no rule matches", () => {
    expect(matchRule(rules.slice(0, 2), said("where are you located"))).toBeUndefined();
  });

  it("matches Unicode letter classes, not the literal text p{L}", () => {
    const [letters] = parseReplyRules([{ match: "^\\p{L}+$", messages: [reply()] }]);
    const only = letters ? [letters] : [];
    expect(matchRule(only, said("Ñandú"))).toBeDefined();
    expect(matchRule(only, said("Привет"))).toBeDefined();
    expect(matchRule(only, said("p{L}"))).toBeUndefined();
    expect(matchRule(only, said("123"))).toBeUndefined();
  });

  it("answers a catastrophic pattern on a 4,096-character text (RE2: no backtracking)", () => {
    // With JS RegExp, (a+)+$ against a's ending in "!" takes 2^n steps: this would never return.
    const catastrophic = parseReplyRules([{ match: "(a+)+$", messages: [reply()] }]);
    const text = `${"a".repeat(MAX_TEXT_LENGTH - 1)}!`;
    expect(matchRule(catastrophic, said(text))).toBeUndefined();
    expect(matchRule(catastrophic, said("a".repeat(MAX_TEXT_LENGTH)))).toBeDefined();
  });

  it("matches a media message without caption against the empty text", () => {
    const media = parseReplyRules([{ match: "^$", messages: [reply()] }]);
    expect(
      matchRule(media, input({ lastMessageOfUser: null, lastMessages: [], messageType: "image" })),
    ).toBeDefined();
  });
});

describe("matchRule: conditions beside match", () => {
  it("applies a message-type rule only to that type, whatever its case", () => {
    const rules = parseReplyRules([{ messageType: "Image", messages: [reply()] }]);
    expect(matchRule(rules, input({ messageType: "image" }))).toBeDefined();
    expect(matchRule(rules, input({ messageType: "text" }))).toBeUndefined();
    expect(matchRule(rules, input({ messageType: null }))).toBeUndefined();
  });

  it("applies a list of message types to any of them", () => {
    const rules = parseReplyRules([{ messageType: ["image", "document"], messages: [reply()] }]);
    expect(matchRule(rules, input({ messageType: "document" }))).toBeDefined();
    expect(matchRule(rules, input({ messageType: "audio" }))).toBeUndefined();
  });

  it("applies a labels rule when the contact has any of the labels", () => {
    const rules = parseReplyRules([{ labels: ["VIP", "premium-inquiry"], messages: [reply()] }]);
    expect(matchRule(rules, input({ labels: ["sales", "premium-inquiry"] }))).toBeDefined();
    expect(matchRule(rules, input({ labels: ["vip"] }))).toBeDefined();
    expect(matchRule(rules, input({ labels: ["sales"] }))).toBeUndefined();
    expect(matchRule(rules, input({ labels: [] }))).toBeUndefined();
  });

  const weekdays = ["mon", "tue", "wed", "thu", "fri"];
  const hoursRule = (when: string) => ({
    businessHours: {
      timeZone: "Europe/Madrid",
      open: [{ days: weekdays, from: "09:00", to: "18:00" }],
      when,
    },
    messages: [reply(when)],
  });
  /** Monday 2026-11-30 19:30 in Madrid. */
  const MONDAY_EVENING_MADRID = Date.parse("2026-11-30T18:30:00Z");

  it("applies an inside-hours rule during opening hours in the rule's time zone", () => {
    const rules = parseReplyRules([hoursRule("inside")]);
    expect(matchRule(rules, input({}, MONDAY_10_MADRID))).toBeDefined();
    expect(matchRule(rules, input({}, MONDAY_EVENING_MADRID))).toBeUndefined();
  });

  it("applies an outside-hours rule after closing time", () => {
    const rules = parseReplyRules([hoursRule("outside")]);
    expect(matchRule(rules, input({}, MONDAY_EVENING_MADRID))).toBeDefined();
    expect(matchRule(rules, input({}, MONDAY_10_MADRID))).toBeUndefined();
  });

  it("judges the hours at acceptance, so a redelivered job gets the same answer", async () => {
    const policy = rulesPolicy(parseReplyRules([hoursRule("inside"), hoursRule("outside")]));
    const first = await policy(input({}, MONDAY_10_MADRID));
    const again = await policy(input({}, MONDAY_10_MADRID));
    expect(first).toEqual(again);
    expect(first.messages.map((m) => m.text)).toEqual(["inside"]);
  });

  it("needs every condition a rule states", () => {
    const rules = parseReplyRules([
      { match: "price", labels: ["vip"], messageType: "text", ...hoursRule("inside") },
    ]);
    expect(matchRule(rules, said("price?", { labels: ["vip"] }))).toBeDefined();
    expect(matchRule(rules, said("price?", { labels: [] }))).toBeUndefined();
    expect(matchRule(rules, said("hello", { labels: ["vip"] }))).toBeUndefined();
    expect(
      matchRule(rules, {
        ...said("price?", { labels: ["vip"] }),
        acceptedAt: MONDAY_EVENING_MADRID,
      }),
    ).toBeUndefined();
  });
});

describe("lastUserText", () => {
  const entry = (role: string, content: string, timestampMs: number) => ({
    role,
    content,
    timestamp: null,
    timestampMs,
    contentType: "text",
    mediaUrl: null,
  });

  it("is the payload's last_message_of_user", () => {
    expect(lastUserText(aWebhook({ lastMessageOfUser: "hola" }))).toBe("hola");
  });

  it("falls back to the newest user entry of the history", () => {
    const webhook = aWebhook({
      lastMessageOfUser: null,
      lastMessages: [
        entry("user", "first", 1),
        entry("bot", "reply", 2),
        entry("user", "second", 3),
      ],
    });
    expect(lastUserText(webhook)).toBe("second");
  });

  it("is empty when the payload carries no user text", () => {
    expect(lastUserText(aWebhook({ lastMessageOfUser: null, lastMessages: [] }))).toBe("");
  });
});

describe("rulesPolicy", () => {
  const policy = rulesPolicy(parseReplyRules([greeting]));

  it("answers with the matching rule's messages", async () => {
    const plan = await policy(said("Hola!"));
    expect(plan.messages.map((m) => m.text)).toEqual(["Hi!", "How can we help?"]);
  });

  it("answers nothing when no rule matches", async () => {
    expect(await policy(said("bye"))).toEqual({ messages: [] });
  });

  it("says what a newer message does to the plan: the rule's onNewMessage, supersede by default", async () => {
    const keep = rulesPolicy(parseReplyRules([{ ...greeting, onNewMessage: "keep" }]));
    expect((await keep(said("Hola!"))).onNewMessage).toBe("keep");
    expect((await policy(said("Hola!"))).onNewMessage).toBe("supersede");
  });

  const greet = rulesPolicy(
    parseReplyRules([
      {
        messages: [
          reply("Hi {{first_name|there}}! 👋", 0),
          reply("Is {{phone}} the best number for {{recipient_name}}?", 1000),
        ],
      },
    ]),
  );

  it("fills placeholders from the webhook", async () => {
    const plan = await greet(input({ recipientName: "Ada Lovelace", phone: "34600111222" }));
    expect(plan.messages.map((m) => m.text)).toEqual([
      "Hi Ada! 👋",
      "Is +34600111222 the best number for Ada Lovelace?",
    ]);
  });

  it("uses the fallback, and leaves out a placeholder without one, when the contact has no name", async () => {
    const plan = await greet(input({ recipientName: null, phone: "34600111222" }));
    expect(plan.messages.map((m) => m.text)).toEqual([
      "Hi there! 👋",
      "Is +34600111222 the best number for?",
    ]);
  });

  it("cuts a text that a long name pushes past WhatsApp's limit", async () => {
    const long = rulesPolicy(
      parseReplyRules([
        { messages: [reply(`${"x".repeat(MAX_TEXT_LENGTH - 20)} {{recipient_name}}`)] },
      ]),
    );
    const [message] = (await long(input({ recipientName: "N".repeat(100) }))).messages;
    expect(message?.text).toHaveLength(MAX_TEXT_LENGTH);
    expect(message?.text.endsWith("…")).toBe(true);
  });
});

describe("validateReplyMessages (answers of other policies)", () => {
  it("accepts the vendor's schedule-activity format", () => {
    expect(
      validateReplyMessages([
        { text: "Hi {{first_name}}", delay: 0 },
        { text: "Menu", delay: 500, attachment: "https://x.test/m.pdf", filename: "m.pdf" },
      ]),
    ).toEqual({
      ok: true,
      messages: [
        { text: "Hi {{first_name}}", delayMs: 0 },
        { text: "Menu", delayMs: 500, attachment: "https://x.test/m.pdf", filename: "m.pdf" },
      ],
    });
  });

  it("names each bad field", () => {
    const result = validateReplyMessages([
      { text: "a", delay: 5 },
      { text: " ", delay: 1, attachement: "x" },
    ]);
    expect(result.ok ? [] : result.problems.map((p) => p.field)).toEqual([
      "messages[1].text",
      "messages[1].attachement",
      "messages[1].delay",
    ]);
  });

  it("refuses something that is not a list", () => {
    const result = validateReplyMessages({ text: "a" });
    expect(result.ok ? undefined : result.problems).toEqual([
      { field: "messages", problem: "must be an array of messages" },
    ]);
  });

  it("applies the webhook's waiting window", () => {
    const result = validateReplyMessages([{ text: "a", delay: 2000 }], {
      waitingDurationSeconds: 1,
    });
    expect(result.ok).toBe(false);
  });
});

describe("the rules example in docs/scheduling.md", () => {
  it("is a valid rules document", () => {
    const doc = readFileSync("docs/scheduling.md", "utf8");
    const section = doc.slice(doc.indexOf("## 2. Reply rules"));
    const example = /```json\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
    expect(parseReplyRules(example)).toHaveLength(3);
  });
});
