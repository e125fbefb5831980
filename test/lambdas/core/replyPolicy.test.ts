import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import {
  type PolicyQuestion,
  parsePolicyAnswer,
  policyRequestId,
  policySigningKey,
  ReplyPolicyAnswerError,
  ReplyPolicyConfigError,
  ReplyPolicyUnavailableError,
  rulesThenHttpPolicy,
  signPolicyRequest,
} from "../../../lambdas/core/replyPolicy.js";
import { parseReplyRules } from "../../../lambdas/core/replyRules.js";
import { aWebhook } from "../../support/replyFixtures.js";

describe("Standard Webhooks signing", () => {
  it("signs exactly as the standardwebhooks package does, for any id, time and body", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 24, maxLength: 64 }),
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 4_102_444_800 }),
        fc.string({ maxLength: 500, unit: "grapheme" }),
        (bytes, id, seconds, body) => {
          const secret = `whsec_${Buffer.from(bytes).toString("base64")}`;
          expect(signPolicyRequest(policySigningKey(secret), id, seconds, body)).toBe(
            new Webhook(secret).sign(id, new Date(seconds * 1000), body),
          );
        },
      ),
    );
  });

  it.each([24, 32, 64])("accepts a %i-byte key", (n) => {
    expect(policySigningKey(`whsec_${randomBytes(n).toString("base64")}`)).toHaveLength(n);
  });

  it("refuses a key longer than 64 bytes", () => {
    expect(() => policySigningKey(`whsec_${randomBytes(65).toString("base64")}`)).toThrow(
      ReplyPolicyConfigError,
    );
  });
});

describe("parsePolicyAnswer", () => {
  const ok = (body: unknown) => parsePolicyAnswer({ status: 200, body: JSON.stringify(body) });

  it("reads the vendor's schedule-activity format", () => {
    expect(ok({ messages: [{ text: "Hi", delay: 250 }] })).toEqual([{ text: "Hi", delayMs: 250 }]);
  });

  it("ignores fields beside messages", () => {
    expect(ok({ messages: [], traceId: "abc" })).toEqual([]);
  });

  it.each([408, 429, 500, 599])("makes HTTP %i retryable", (status) => {
    expect(() => parsePolicyAnswer({ status, body: "" })).toThrow(ReplyPolicyUnavailableError);
  });

  it.each([301, 400, 404, 410])("makes HTTP %i final", (status) => {
    expect(() => parsePolicyAnswer({ status, body: "" })).toThrow(ReplyPolicyAnswerError);
  });

  it("describes a refusal by its status, size and hash, never quoting the body it echoed", () => {
    // An error page that echoes the request: the secret, the contact's number, their message.
    const secret = `whsec_${randomBytes(32).toString("base64")}`;
    const body = `<pre>bad request; key=${secret}; {"phone":"4915112345678","text":"my PIN is 4711"}</pre>`;
    let error: ReplyPolicyAnswerError | undefined;
    try {
      parsePolicyAnswer({ status: 400, body });
    } catch (thrown) {
      error = thrown as ReplyPolicyAnswerError;
    }
    expect(error?.message).toMatch(
      /^the reply policy answered HTTP 400 \(\d+ bytes, sha256 [0-9a-f]{16}\)$/,
    );
    for (const leak of [secret.slice(6, 22), "12345678", "PIN", "bad request"]) {
      expect(error?.message).not.toContain(leak);
    }
  });

  it("refuses a text of only invisible characters, naming code points, never the text", () => {
    expect(() => ok({ messages: [{ text: "\u200b\u00a0", delay: 0 }] })).toThrow(
      "the reply policy answer is invalid: messages[0].text must not be blank (only invisible characters: U+200B at character 1, U+00A0 at character 2)",
    );
  });

  it("names every bad field of an answer", () => {
    expect(() => ok({ messages: [{ text: "", delay: 0 }, { delay: 1 }] })).toThrow(
      "the reply policy answer is invalid: messages[0].text must not be blank; messages[1].text must be a string",
    );
  });
});

describe("rulesThenHttpPolicy", () => {
  const rules = parseReplyRules([
    { match: "^order", onNewMessage: "keep", messages: [{ text: "order noted", delay: 0 }] },
  ]);

  it("answers from a matching rule with its onNewMessage, without asking the endpoint", async () => {
    const asked: PolicyQuestion[] = [];
    const policy = rulesThenHttpPolicy(rules, async (question) => {
      asked.push(question);
      return [];
    });
    const input = {
      webhook: aWebhook({ lastMessageOfUser: "order 42" }),
      acceptedAt: 1,
      jobKey: "k",
    };
    expect(await policy(input)).toEqual({
      messages: [{ text: "order noted", delayMs: 0 }],
      onNewMessage: "keep",
    });
    expect(asked).toEqual([]);
  });

  it("asks the endpoint about a message no rule matches, with the job's stable webhook-id", async () => {
    const asked: PolicyQuestion[] = [];
    const policy = rulesThenHttpPolicy(rules, async (question) => {
      asked.push(question);
      return [{ text: "from the endpoint", delayMs: 0 }];
    });
    const webhook = aWebhook({ lastMessageOfUser: "what do you sell?" });
    expect(await policy({ webhook, acceptedAt: 5, jobKey: "job-1" })).toEqual([
      { text: "from the endpoint", delayMs: 0 },
    ]);
    expect(asked).toEqual([
      expect.objectContaining({ id: policyRequestId("job-1"), webhook, acceptedAt: 5 }),
    ]);
  });
});
