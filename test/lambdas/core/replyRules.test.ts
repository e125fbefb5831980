import { describe, expect, it } from "vitest";
import { ReplyRulesError } from "../../../lambdas/core/errors.js";
import {
  lastUserText,
  MAX_REPLY_DELAY_MS,
  matchRule,
  parseReplyRules,
  rulesPolicy,
} from "../../../lambdas/core/replyRules.js";
import { aWebhook } from "../../support/replyFixtures.js";

const greeting = {
  match: "hi|hello|hola",
  messages: [
    { text: "Hi!", delay: 0 },
    { text: "How can we help?", delay: 2000 },
  ],
};
const catchAll = { match: ".*", messages: [{ text: "Type 'help' for options.", delay: 0 }] };

function errorOf(fn: () => unknown): ReplyRulesError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ReplyRulesError) return error;
    throw error;
  }
  throw new Error("expected a ReplyRulesError");
}

describe("parseReplyRules", () => {
  it("compiles each rule's pattern and converts delays to delayMs", () => {
    const [rule] = parseReplyRules([greeting]);
    expect(rule?.match).toBe("hi|hello|hola");
    expect(rule?.pattern.flags).toContain("i");
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

  it("rejects invalid JSON text", () => {
    expect(errorOf(() => parseReplyRules("[{")).message).toMatch(/not valid JSON/);
  });

  it("rejects a document that is not an array", () => {
    expect(errorOf(() => parseReplyRules({ rules: [] })).message).toMatch(/must be a JSON array/);
  });

  it("names the rule and field of a bad regular expression", () => {
    const error = errorOf(() => parseReplyRules([greeting, { ...catchAll, match: "(unclosed" }]));
    expect(error.ruleIndex).toBe(1);
    expect(error.field).toBe("match");
    expect(error.message).toMatch(/reply rule 1: match is not a valid regular expression/);
  });

  it("names the rule and message of a negative delay", () => {
    const error = errorOf(() =>
      parseReplyRules([
        {
          match: "x",
          messages: [
            { text: "a", delay: 0 },
            { text: "b", delay: -5 },
          ],
        },
      ]),
    );
    expect(error.ruleIndex).toBe(0);
    expect(error.field).toBe("messages[1].delay");
    expect(error.message).toMatch(/must not be negative/);
  });

  it("rejects a fractional delay", () => {
    const error = errorOf(() =>
      parseReplyRules([{ match: "x", messages: [{ text: "a", delay: 1.5 }] }]),
    );
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

  it("accepts a delay exactly at the waiting_duration", () => {
    expect(parseReplyRules([greeting], { waitingDurationSeconds: 2 })).toHaveLength(1);
  });

  it("rejects a delay beyond 60 days even without a waiting_duration", () => {
    const error = errorOf(() =>
      parseReplyRules([{ match: "x", messages: [{ text: "a", delay: MAX_REPLY_DELAY_MS + 1 }] }]),
    );
    expect(error.message).toMatch(/60 days/);
  });

  it("rejects delays that decrease within a rule", () => {
    const error = errorOf(() =>
      parseReplyRules([
        {
          match: "x",
          messages: [
            { text: "a", delay: 2000 },
            { text: "b", delay: 0 },
          ],
        },
      ]),
    );
    expect(error.field).toBe("messages[1].delay");
    expect(error.message).toMatch(/must not decrease/);
  });

  it("rejects a rule without messages", () => {
    const error = errorOf(() => parseReplyRules([{ match: "x", messages: [] }]));
    expect(error.field).toBe("messages");
  });

  it("rejects a blank text", () => {
    const error = errorOf(() =>
      parseReplyRules([{ match: "x", messages: [{ text: "  ", delay: 0 }] }]),
    );
    expect(error.field).toBe("messages[0].text");
  });

  it("rejects an unknown field, so typos do not pass silently", () => {
    const error = errorOf(() =>
      parseReplyRules([{ match: "x", messages: [{ text: "a", delay: 0, dealy: 5 }] }]),
    );
    expect(error.message).toMatch(/unknown field: dealy/);
  });

  it("explains an unknown field in a full English sentence", () => {
    const error = errorOf(() =>
      parseReplyRules([{ match: "x", messages: [{ text: "a", delay: 0, dealy: 5 }] }]),
    );
    expect(error.message).toBe(
      'reply rule 0: messages[0] Unrecognized key: "dealy" (unknown field: dealy)',
    );
  });

  it("rejects a missing match", () => {
    const error = errorOf(() => parseReplyRules([{ messages: [{ text: "a", delay: 0 }] }]));
    expect(error.field).toBe("match");
  });

  it("rejects an attachment that is not an http(s) URL", () => {
    const error = errorOf(() =>
      parseReplyRules([
        { match: "x", messages: [{ text: "a", delay: 0, attachment: "file:///etc/passwd" }] },
      ]),
    );
    expect(error.field).toBe("messages[0].attachment");
  });
});

describe("matchRule", () => {
  const rules = parseReplyRules([
    greeting,
    { match: "price|pricing", messages: [{ text: "$", delay: 0 }] },
    catchAll,
  ]);

  it("lets the first matching rule win", () => {
    expect(matchRule(rules, "hello, what is the price?")?.match).toBe("hi|hello|hola");
  });

  it("matches case-insensitively", () => {
    expect(matchRule(rules, "PRICING please")?.match).toBe("price|pricing");
  });

  it("falls through to the catch-all", () => {
    expect(matchRule(rules, "where are you located")?.match).toBe(".*");
  });

  it("finds nothing when no rule matches", () => {
    expect(matchRule(rules.slice(0, 2), "where are you located")).toBeUndefined();
  });
});

describe("lastUserText", () => {
  it("is the payload's last_message_of_user", () => {
    expect(lastUserText(aWebhook({ lastMessageOfUser: "hola" }))).toBe("hola");
  });

  it("falls back to the newest user entry of the history", () => {
    const webhook = aWebhook({
      lastMessageOfUser: null,
      lastMessages: [
        {
          role: "user",
          content: "first",
          timestamp: null,
          timestampMs: 1,
          contentType: "text",
          mediaUrl: null,
        },
        {
          role: "bot",
          content: "reply",
          timestamp: null,
          timestampMs: 2,
          contentType: "text",
          mediaUrl: null,
        },
        {
          role: "user",
          content: "second",
          timestamp: null,
          timestampMs: 3,
          contentType: "text",
          mediaUrl: null,
        },
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
    const plan = await policy({ webhook: aWebhook({ lastMessageOfUser: "Hola!" }), acceptedAt: 0 });
    expect(plan.map((m) => m.text)).toEqual(["Hi!", "How can we help?"]);
  });

  it("answers nothing when no rule matches", async () => {
    expect(
      await policy({ webhook: aWebhook({ lastMessageOfUser: "bye" }), acceptedAt: 0 }),
    ).toEqual([]);
  });
});
