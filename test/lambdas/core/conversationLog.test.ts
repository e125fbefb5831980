import { describe, expect, it } from "vitest";
import {
  attachmentContentType,
  botReplyItem,
  conversationItemsFromWebhook,
  conversationKeys,
} from "../../../lambdas/core/conversationLog.js";
import type { ConversationEntry } from "../../../lambdas/core/messages.js";
import { aReply, aWebhook } from "../../support/replyFixtures.js";

const TTL = 90 * 24 * 3600;

function entry(role: string, content: string, iso: string | null): ConversationEntry {
  return {
    role,
    content,
    timestamp: iso,
    timestampMs: iso === null ? null : Date.parse(iso),
    contentType: "text",
    mediaUrl: null,
  };
}

describe("conversationKeys", () => {
  const base = {
    phone: "14155552671",
    userId: "u-1",
    role: "user",
    content: "hello",
    contentType: "text",
    timeMs: Date.parse("2026-11-20T10:00:00.5Z"),
  };

  it("keys by phone and orders by time, role and content", () => {
    const keys = conversationKeys(base);
    expect(keys.pk).toBe("PHONE#14155552671");
    expect(keys.sk).toMatch(/^MSG#2026-11-20T10:00:00\.500Z#user#[0-9a-f]{16}$/);
  });

  it("indexes by vendor user with the same sort key", () => {
    const keys = conversationKeys(base);
    expect(keys.gsi1pk).toBe("USER#u-1");
    expect(keys.gsi1sk).toBe(keys.sk);
  });

  it("leaves the user index out when the user is unknown", () => {
    const keys = conversationKeys({ ...base, userId: null });
    expect(keys.gsi1pk).toBeUndefined();
    expect(keys.gsi1sk).toBeUndefined();
  });

  it("is the same for the same message", () => {
    expect(conversationKeys(base)).toEqual(conversationKeys({ ...base }));
  });

  it("differs for different content at the same time", () => {
    expect(conversationKeys(base).sk).not.toBe(conversationKeys({ ...base, content: "bye" }).sk);
  });

  it("puts undated messages after every dated one", () => {
    const undated = conversationKeys({ ...base, timeMs: null }).sk;
    expect(
      undated > conversationKeys({ ...base, timeMs: Date.parse("2999-01-01T00:00:00Z") }).sk,
    ).toBe(true);
  });
});

describe("conversationItemsFromWebhook", () => {
  const first = aWebhook({
    lastMessageOfUser: "second question",
    lastMessages: [
      entry("user", "first question", "2026-11-20T10:00:00.000Z"),
      entry("bot", "first answer", "2026-11-20T10:00:05.000Z"),
      entry("user", "second question", "2026-11-20T10:01:00.000Z"),
    ],
  });
  // The next delivery's history window overlaps the previous one.
  const second = aWebhook({
    lastMessageOfUser: "third question",
    lastMessages: [
      entry("bot", "first answer", "2026-11-20T10:00:05.000Z"),
      entry("user", "second question", "2026-11-20T10:01:00.000Z"),
      entry("user", "third question", "2026-11-20T10:02:00.000Z"),
    ],
  });

  it("makes one item per message of the history", () => {
    const items = conversationItemsFromWebhook(first, { acceptedAt: 0, ttlSeconds: TTL });
    expect(items.map((i) => [i.role, i.content])).toEqual([
      ["user", "first question"],
      ["bot", "first answer"],
      ["user", "second question"],
    ]);
    expect(items.every((i) => i.source === "webhook")).toBe(true);
  });

  it("gives overlapping deliveries the same keys, so the log holds each message once", () => {
    const keys = new Set(
      [first, second].flatMap((w) =>
        conversationItemsFromWebhook(w, { acceptedAt: 0, ttlSeconds: TTL }).map(
          (i) => `${i.pk}|${i.sk}`,
        ),
      ),
    );
    expect(keys.size).toBe(4);
  });

  it("gives a redelivered job identical items", () => {
    const a = conversationItemsFromWebhook(first, { acceptedAt: 1, ttlSeconds: TTL });
    const b = conversationItemsFromWebhook(first, { acceptedAt: 999_999, ttlSeconds: TTL });
    expect(b).toEqual(a);
  });

  it("adds last_message_of_user when the history lacks it (older payloads)", () => {
    const items = conversationItemsFromWebhook(
      aWebhook({
        lastMessages: [],
        lastMessageOfUser: "hola",
        userLastMessageTimeMs: 1_700_000_000_000,
      }),
      { acceptedAt: 0, ttlSeconds: TTL },
    );
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      role: "user",
      content: "hola",
      at: "2023-11-14T22:13:20.000Z",
    });
  });

  it("does not duplicate last_message_of_user already in the history at another precision", () => {
    const items = conversationItemsFromWebhook(
      aWebhook({
        lastMessageOfUser: "hola",
        userLastMessageTimeMs: Date.parse("2026-11-20T10:00:00.000Z"),
        lastMessages: [entry("user", "hola", "2026-11-20T10:00:00.990Z")],
      }),
      { acceptedAt: 0, ttlSeconds: TTL },
    );
    expect(items).toHaveLength(1);
  });

  it("collapses identical entries within one payload", () => {
    const items = conversationItemsFromWebhook(
      aWebhook({
        lastMessageOfUser: "x",
        lastMessages: [
          entry("user", "x", "2026-11-20T10:00:00Z"),
          entry("user", "x", "2026-11-20T10:00:00Z"),
        ],
      }),
      { acceptedAt: 0, ttlSeconds: TTL },
    );
    expect(items).toHaveLength(1);
  });

  it("expires items a retention period after the message", () => {
    const [item] = conversationItemsFromWebhook(first, { acceptedAt: 0, ttlSeconds: TTL });
    expect(item?.expiresAt).toBe(Date.parse("2026-11-20T10:00:00.000Z") / 1000 + TTL);
  });

  it("expires undated items a retention period after acceptance", () => {
    const [item] = conversationItemsFromWebhook(
      aWebhook({ lastMessageOfUser: "x", lastMessages: [entry("user", "x", null)] }),
      { acceptedAt: 2_000_000, ttlSeconds: TTL },
    );
    expect(item?.at).toBeNull();
    expect(item?.expiresAt).toBe(2000 + TTL);
  });

  it("lower-cases the role and keeps '#' out of keys", () => {
    const [item] = conversationItemsFromWebhook(
      aWebhook({
        lastMessageOfUser: null,
        lastMessages: [entry("Agent#1", "x", "2026-11-20T10:00:00Z")],
      }),
      { acceptedAt: 0, ttlSeconds: TTL },
    );
    expect(item?.role).toBe("agent_1");
    expect(item?.sk.split("#")).toHaveLength(4);
  });
});

describe("botReplyItem", () => {
  it("logs a sent reply as a bot message at its send time, with its plan position", () => {
    const sentAt = Date.parse("2026-11-20T10:00:03.250Z");
    const item = botReplyItem(aReply({ seq: 1, text: "How can we help?" }), sentAt, {
      ttlSeconds: TTL,
    });
    expect(item).toMatchObject({
      pk: "PHONE#14155552671",
      role: "bot",
      content: "How can we help?",
      contentType: "text",
      at: "2026-11-20T10:00:03.250Z",
      source: "sender",
      seq: 1,
    });
    expect(item.sk.startsWith("MSG#2026-11-20T10:00:03.250Z#bot#")).toBe(true);
  });

  it("records an attachment as media of its type", () => {
    const item = botReplyItem(aReply({ attachment: "https://x.test/menu.pdf" }), 0, {
      ttlSeconds: TTL,
    });
    expect(item).toMatchObject({ contentType: "document", mediaUrl: "https://x.test/menu.pdf" });
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
