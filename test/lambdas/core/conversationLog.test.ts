import { describe, expect, it } from "vitest";
import { webhookMessage } from "../../../lambdas/core/conversation.js";
import {
  attachmentContentType,
  contactView,
  messageItem,
  pendingReplies,
  planItem,
} from "../../../lambdas/core/conversationLog.js";
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

describe("planItem", () => {
  it("numbers messages in order with dueAt = acceptedAt + delay, and keeps the rule's keep", () => {
    const plan = planItem({
      planId: "plan_1",
      webhook: aWebhook(),
      messageKey: "k",
      planAt: AT,
      acceptedAt: AT + 1000,
      keep: true,
      source: "policy",
      messages: [
        { text: "a", delayMs: 0 },
        { text: "b", delayMs: 2000, attachment: "https://x.test/a.pdf", filename: "a.pdf" },
      ],
      now: AT + 1500,
      ttlSeconds: TTL,
    });
    expect(plan).toMatchObject({ pk: "PHONE#14155552671", sk: "PLAN#plan_1", keep: true });
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
    expect(plan.expiresAt).toBe(Math.floor((AT + 3000) / 1000) + TTL);
  });
});

describe("attachmentContentType", () => {
  it.each([
    ["https://x.test/a.JPG", "image"],
    ["https://x.test/v.mp4?sig=1", "video"],
    ["https://x.test/s.ogg", "audio"],
    ["https://x.test/doc", "document"],
  ])("classifies %s as %s", (url, type) => {
    expect(attachmentContentType(url)).toBe(type);
  });
});

describe("pendingReplies", () => {
  const plan = (planId: string, keep = false) =>
    planItem({
      planId,
      webhook: aWebhook(),
      messageKey: planId,
      planAt: AT,
      acceptedAt: AT,
      keep,
      source: "policy",
      messages: [
        { text: `${planId} a`, delayMs: 0 },
        { text: `${planId} b`, delayMs: 5000 },
      ],
      now: AT,
      ttlSeconds: TTL,
    });
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
});
