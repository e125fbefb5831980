import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { webhookMessage } from "../../../lambdas/core/conversation.js";
import {
  contactView,
  DYNAMODB_ITEM_LIMITS,
  dynamoItemSize,
  MAX_INFORMATIONAL_BYTES,
  messageItem,
  messageSk,
  pendingReplies,
  planOf,
  replyPlan,
  storableFields,
} from "../../../lambdas/core/conversationLog.js";
import { informationalValue, nested, unstorable } from "../../support/dynamoStorable.js";
import { aWebhook } from "../../support/replyFixtures.js";

const TTL = 3600;
const AT = Date.parse("2026-11-20T10:00:00.000Z");

describe("messageItem", () => {
  const item = (overrides: Parameters<typeof aWebhook>[0] = {}, extra = {}) => {
    const webhook = aWebhook(overrides);
    return messageItem(webhook, webhookMessage(webhook), {
      key: "abcdef0123456789ffff",
      at: AT,
      ttlSeconds: TTL,
      ...extra,
    });
  };

  it("keys a customer message in its contact's partition, in time order", () => {
    expect(item()).toMatchObject({
      pk: "PHONE#14155552671",
      sk: "MSG#2026-11-20T10:00:00.000Z#user#abcdef0123456789",
      role: "user",
      content: "hello there",
      at: "2026-11-20T10:00:00.000Z",
      expiresAt: AT / 1000 + TTL,
    });
  });

  it("keeps the contact's referral (the ad they came from)", () => {
    const referral = { source_type: "ad", source_id: "1203", headline: "Spring sale" };
    expect(item({ referral }).referral).toEqual(referral);
  });

  it("keeps a referral nested deeper than DynamoDB stores, as JSON text below the limit", () => {
    // 41 levels: the receiver accepts it (up to 64), DynamoDB stores 32.
    const referral = nested(40) as Record<string, unknown>;
    const logged = item({ referral });
    expect(unstorable(logged)).toEqual([]);
    const textAt = (value: unknown, levels: number): unknown =>
      levels === 0 ? value : textAt((value as { a: unknown }).a, levels - 1);
    // referral's map is level 1; the map at level 32 could not hold a value, so it is text.
    expect(JSON.parse(textAt(logged.referral, 31) as string)).toEqual(nested(9));
  });

  it("never builds an item DynamoDB refuses, whatever the informational fields hold", () => {
    fc.assert(
      fc.property(informationalValue, fc.string({ maxLength: 4096 }), (referral, text) => {
        const logged = item({
          lastMessageOfUser: text || "x",
          referral: { value: referral } as Record<string, unknown>,
        });
        expect(unstorable(logged)).toEqual([]);
        expect(dynamoItemSize(logged)).toBeLessThanOrEqual(DYNAMODB_ITEM_LIMITS.itemBytes);
        expect(logged.content).toBe(text || "x");
      }),
      { numRuns: 300 },
    );
  });

  it("logs only the webhook's own message, not its history window", () => {
    const it = item({ lastMessages: [...aWebhook().lastMessages, ...aWebhook().lastMessages] });
    expect(it.content).toBe("hello there");
  });

  it("records an outgoing message as the business's, with who typed it", () => {
    expect(
      item({
        incomingMessage: false,
        wasMessageByHuman: true,
        sendBy: "Sam",
        lastMessageOfBot: "Sam here",
      }),
    ).toMatchObject({ role: "bot", content: "Sam here", human: true, sendBy: "Sam" });
  });

  it("carries why the message got no reply, and the informational fields it ignored", () => {
    expect(
      item({ warnings: ["referral must be an object"] }, { noReplyReason: "invalid_phone" }),
    ).toMatchObject({ noReplyReason: "invalid_phone", warnings: ["referral must be an object"] });
  });
});

describe("replyPlan", () => {
  it("numbers messages in order with dueAt = acceptedAt + delay, and keeps the rule's keep", () => {
    const plan = replyPlan({
      planId: "plan_1",
      planAt: AT,
      acceptedAt: AT + 1000,
      keep: true,
      source: "policy",
      messages: [
        { text: "a", delayMs: 0 },
        { text: "b", delayMs: 2000, attachment: "https://x.test/a.pdf", filename: "a.pdf" },
      ],
    });
    expect(plan).toMatchObject({ planId: "plan_1", planAt: AT, keep: true, source: "policy" });
    expect(plan.messages).toEqual([
      { seq: 0, text: "a", dueAt: AT + 1000 },
      {
        seq: 1,
        text: "b",
        dueAt: AT + 3000,
        attachment: "https://x.test/a.pdf",
        filename: "a.pdf",
      },
    ]);
  });

  it("stores the plan on its message's item, kept until the retention after the last due reply", () => {
    const webhook = aWebhook();
    const plan = replyPlan({
      planId: "plan_1",
      planAt: AT,
      acceptedAt: AT,
      keep: false,
      source: "policy",
      messages: [{ text: "tomorrow", delayMs: 86_400_000 }],
    });
    const item = messageItem(webhook, webhookMessage(webhook), {
      key: "k",
      at: AT,
      ttlSeconds: TTL,
      planId: "plan_1",
      plan,
    });
    expect(item).toMatchObject({ sk: messageSk(AT, "user", "k"), planId: "plan_1" });
    expect(planOf(item)).toEqual(plan);
    expect(item.expiresAt).toBe((AT + 86_400_000) / 1000 + TTL);
  });
});

describe("pendingReplies", () => {
  /** A customer message's MSG item holding its plan. */
  const plan = (planId: string, keep = false) => {
    const webhook = aWebhook();
    return messageItem(webhook, webhookMessage(webhook), {
      key: planId,
      at: AT,
      ttlSeconds: TTL,
      planId,
      plan: replyPlan({
        planId,
        planAt: AT,
        acceptedAt: AT,
        keep,
        source: "policy",
        messages: [
          { text: `${planId} a`, delayMs: 0 },
          { text: `${planId} b`, delayMs: 5000 },
        ],
      }),
    });
  };
  const contact = (planId: string) => ({
    pk: "PHONE#14155552671",
    sk: "CONTACT",
    phone: "14155552671",
    planId,
    updatedAt: AT,
  });

  it("lists the contact's plan's unsent replies and keep plans, not superseded ones", () => {
    const view = contactView([
      contact("p2"),
      plan("p1"),
      plan("p2"),
      plan("p3", true),
      { pk: "PHONE#14155552671", sk: "REPLY#p2#000", planId: "p2", seq: 0, status: "SENT" },
    ]);
    expect(pendingReplies(view, AT).map((r) => r.text)).toEqual(["p3 a", "p2 b", "p3 b"]);
  });

  it("lists the replies of a plan an earlier release stored as a PLAN item", () => {
    const legacy = planOf(plan("p1"));
    const view = contactView([
      contact("p1"),
      { pk: "PHONE#14155552671", sk: "PLAN#p1", phone: "14155552671", ...legacy },
    ]);
    expect(pendingReplies(view, AT).map((r) => r.text)).toEqual(["p1 a", "p1 b"]);
  });
});

describe("storableFields", () => {
  it("keeps what DynamoDB can store as it is", () => {
    const fields = { referral: { a: [1, "x", null, true, { b: 2.5 }] }, n: -3 };
    expect(storableFields(fields, 10_000)).toEqual(fields);
  });

  it("keeps numbers and keys DynamoDB or the document client refuse as text", () => {
    expect(storableFields({ f: { big: 2 ** 60, tiny: 1e-200, ok: 7 } }, 10_000)).toEqual({
      f: { big: String(2 ** 60), tiny: "1e-200", ok: 7 },
    });
    expect(storableFields({ f: { "": 1 } }, 10_000)).toEqual({ f: '{"":1}' });
  });

  it("stays within DynamoDB's limits and its byte budget for any fields", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), informationalValue, {
          maxKeys: 4,
        }),
        fc.integer({ min: 0, max: MAX_INFORMATIONAL_BYTES }),
        (fields, budget) => {
          const stored = storableFields(fields, budget);
          expect(unstorable(stored)).toEqual([]);
          expect(dynamoItemSize(stored)).toBeLessThanOrEqual(budget);
          // With room for their names, every field is kept (whole or cut).
          if (budget >= 4 * 20) {
            expect(Object.keys(stored).sort()).toEqual(
              Object.keys(fields)
                .filter((k) => fields[k] !== undefined)
                .sort(),
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
