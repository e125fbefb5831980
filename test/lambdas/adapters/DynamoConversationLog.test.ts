import { beforeAll, describe, expect, it } from "vitest";
import { createDocumentClient } from "../../../lambdas/adapters/awsClients.js";
import { DynamoConversationLog } from "../../../lambdas/adapters/DynamoConversationLog.js";
import {
  botReplyItem,
  conversationItemsFromWebhook,
} from "../../../lambdas/core/conversationLog.js";
import type { ConversationEntry } from "../../../lambdas/core/messages.js";
import { provisionForTest } from "../../support/localAws.js";
import { aReply, aWebhook } from "../../support/replyFixtures.js";

let log: DynamoConversationLog;
/** Items expire relative to the message time; keep the sample messages alive through the test. */
const TTL = 365 * 24 * 3600;

function entry(role: string, content: string, iso: string): ConversationEntry {
  return {
    role,
    content,
    timestamp: iso,
    timestampMs: Date.parse(iso),
    contentType: "text",
    mediaUrl: null,
  };
}

beforeAll(async () => {
  const resources = await provisionForTest();
  log = new DynamoConversationLog(
    createDocumentClient(resources.awsEnv),
    resources.tables.conversation,
  );
});

describe("DynamoConversationLog", () => {
  it("holds each message once across deliveries whose histories overlap", async () => {
    const phone = "15550000001";
    const first = aWebhook({
      phone,
      lastMessageOfUser: "q2",
      lastMessages: [
        entry("user", "q1", "2026-11-20T10:00:00Z"),
        entry("bot", "a1", "2026-11-20T10:00:01Z"),
        entry("user", "q2", "2026-11-20T10:00:02Z"),
      ],
    });
    const second = aWebhook({
      phone,
      lastMessageOfUser: "q3",
      lastMessages: [
        entry("bot", "a1", "2026-11-20T10:00:01Z"),
        entry("user", "q2", "2026-11-20T10:00:02Z"),
        entry("user", "q3", "2026-11-20T10:00:03Z"),
      ],
    });
    await log.append(conversationItemsFromWebhook(first, { acceptedAt: 0, ttlSeconds: TTL }));
    await log.append(conversationItemsFromWebhook(second, { acceptedAt: 0, ttlSeconds: TTL }));
    await log.append(conversationItemsFromWebhook(second, { acceptedAt: 0, ttlSeconds: TTL }));
    const history = await log.byPhone(phone);
    expect(history.map((i) => i.content)).toEqual(["q1", "a1", "q2", "q3"]);
  });

  it("reads one customer's history newest first, limited", async () => {
    const phone = "15550000002";
    await log.append(
      conversationItemsFromWebhook(
        aWebhook({
          phone,
          lastMessageOfUser: null,
          lastMessages: ["a", "b", "c"].map((c, i) => entry("user", c, `2026-11-20T10:00:0${i}Z`)),
        }),
        { acceptedAt: 0, ttlSeconds: TTL },
      ),
    );
    expect(
      (await log.byPhone(phone, { newestFirst: true, limit: 2 })).map((i) => i.content),
    ).toEqual(["c", "b"]);
    expect(
      (await log.byPhone(phone, { since: "2026-11-20T10:00:01" })).map((i) => i.content),
    ).toEqual(["b", "c"]);
  });

  it("reads a vendor user's history through the byUser index", async () => {
    const userId = "user-by-index";
    await log.append(
      conversationItemsFromWebhook(
        aWebhook({
          phone: "15550000003",
          userId,
          lastMessageOfUser: "via index",
          lastMessages: [],
        }),
        { acceptedAt: Date.parse("2026-11-20T10:00:00Z"), ttlSeconds: TTL },
      ),
    );
    const history = await log.byUser(userId);
    expect(history.map((i) => [i.phone, i.content])).toEqual([["15550000003", "via index"]]);
  });

  it("writes more messages than one batch holds", async () => {
    const phone = "15550000004";
    const lastMessages = Array.from({ length: 60 }, (_, i) =>
      entry("user", `m${i}`, new Date(Date.parse("2026-11-20T10:00:00Z") + i * 1000).toISOString()),
    );
    await log.append(
      conversationItemsFromWebhook(aWebhook({ phone, lastMessageOfUser: null, lastMessages }), {
        acceptedAt: 0,
        ttlSeconds: TTL,
      }),
    );
    expect(await log.byPhone(phone)).toHaveLength(60);
  });

  it("stores the sender's replies as bot messages of the conversation", async () => {
    const reply = aReply({ phone: "15550000005", text: "From the bot", seq: 2 });
    await log.append([
      botReplyItem(reply, Date.parse("2026-11-20T10:00:05Z"), { ttlSeconds: TTL }),
    ]);
    expect(await log.byPhone("15550000005")).toEqual([
      expect.objectContaining({
        role: "bot",
        content: "From the bot",
        source: "sender",
        seq: 2,
        planId: reply.planId,
      }),
    ]);
  });
});
