import type { ConsumedCapacity } from "@aws-sdk/client-dynamodb";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { createDocumentClient } from "../../../lambdas/adapters/awsClients.js";
import {
  DynamoConversationLog,
  DynamoConversationReader,
} from "../../../lambdas/adapters/DynamoConversationTable.js";
import { webhookMessage } from "../../../lambdas/core/conversation.js";
import {
  type ConversationItem,
  messageItem,
  type NoReplyReason,
  planOf,
  replyPlan,
} from "../../../lambdas/core/conversationLog.js";
import { planIdFor } from "../../../lambdas/core/respondToJob.js";
import { informationalValue, nested } from "../../support/dynamoStorable.js";
import { provisionForTest } from "../../support/localAws.js";
import { aWebhook } from "../../support/replyFixtures.js";

/**
 * MSG items on DynamoDB Local: each message with the plan it got, in one conditional write; the
 * first plan stored on a message is its plan.
 */

let log: DynamoConversationLog;
let reader: DynamoConversationReader;
let client: ReturnType<typeof createDocumentClient>;
let tableName: string;
/** The write capacity DynamoDB Local reports for each write since the last reset. */
let consumed: ConsumedCapacity[] = [];
let phoneCounter = 0;
const newPhone = () => `1415300${String(++phoneCounter).padStart(4, "0")}`;
const AT = Date.parse("2026-11-20T10:00:00Z");

beforeAll(async () => {
  const resources = await provisionForTest();
  tableName = resources.tables.conversation;
  client = createDocumentClient(resources.awsEnv);
  client.middlewareStack.add(
    (next) => async (args) => {
      Object.assign(args.input as object, { ReturnConsumedCapacity: "TOTAL" });
      const out = await next(args);
      const capacity = (out.output as { ConsumedCapacity?: ConsumedCapacity }).ConsumedCapacity;
      if (capacity) consumed.push(capacity);
      return out;
    },
    { step: "initialize", name: "consumedCapacity" },
  );
  log = new DynamoConversationLog(client, tableName);
  reader = new DynamoConversationReader(client, tableName);
});

/** A customer message's MSG item; with `replies`, the plan it got. */
function aMessage(
  phone: string,
  options: {
    text?: string;
    replies?: string[];
    noReplyReason?: NoReplyReason;
    referral?: Record<string, unknown>;
  } = {},
): ConversationItem {
  const webhook = aWebhook({
    phone,
    lastMessageOfUser: options.text ?? "hello",
    referral: options.referral ?? null,
  });
  const key = `0123456789abcdef${phone}`;
  const planId = planIdFor(key);
  return messageItem(webhook, webhookMessage(webhook), {
    key,
    at: AT,
    ttlSeconds: 90 * 86_400,
    planId,
    noReplyReason: options.noReplyReason,
    plan: options.replies
      ? replyPlan({
          planId,
          planAt: AT,
          acceptedAt: AT + 400,
          keep: false,
          source: "policy",
          messages: options.replies.map((text, i) => ({ text, delayMs: i * 2000 })),
        })
      : undefined,
  });
}

const texts = (item: ConversationItem | undefined) => item?.plan?.messages.map((m) => m.text);
/** The plan stored for a message, as a redelivered job looks for it (legacy PLAN items too). */
const find = async (item: ConversationItem) =>
  (await log.findMessage({ phone: item.phone, sk: item.sk, consistentRead: true }))?.plan ??
  (await log.findLegacyPlan({ phone: item.phone, planId: item.planId ?? "" }));

describe("DynamoConversationLog (messages and their plans)", () => {
  it("reads back the plan stored with its message", async () => {
    const item = aMessage(newPhone(), { replies: ["a", "b"] });
    expect(await log.recordMessage(item)).toEqual(item);
    expect(await find(item)).toEqual(planOf(item));
    expect(await reader.byPhone(item.phone)).toEqual([item]);
  });

  it("writes one MSG item per message, a redelivery rewriting the same item", async () => {
    const item = aMessage(newPhone(), { noReplyReason: "paused" });
    await log.recordMessage(item);
    await log.recordMessage(item);
    expect(await reader.byPhone(item.phone)).toEqual([
      expect.objectContaining({ role: "user", content: "hello", noReplyReason: "paused" }),
    ]);
  });

  it("stores a plan once: a second write gets the stored message and plan back", async () => {
    const phone = newPhone();
    const first = aMessage(phone, { replies: ["first"] });
    await log.recordMessage(first);
    expect(texts(await log.recordMessage(aMessage(phone, { replies: ["second"] })))).toEqual([
      "first",
    ]);
    expect((await find(first))?.messages.map((m) => m.text)).toEqual(["first"]);
  });

  it("keeps the first plan when two copies of a job store theirs at once", async () => {
    const phone = newPhone();
    const stored = await Promise.all([
      log.recordMessage(aMessage(phone, { replies: ["first"] })),
      log.recordMessage(aMessage(phone, { replies: ["second"] })),
    ]);
    const kept = (await reader.byPhone(phone))[0];
    expect(stored.map(texts)).toEqual([texts(kept), texts(kept)]);
    expect([["first"], ["second"]]).toContainEqual(texts(kept));
  });

  it("keeps a stored plan when the message is logged again without one", async () => {
    const phone = newPhone();
    await log.recordMessage(aMessage(phone, { replies: ["a"] }));
    await log.recordMessage(aMessage(phone, { noReplyReason: "older_than_newest" }));
    const [item] = await reader.byPhone(phone);
    expect(texts(item)).toEqual(["a"]);
    expect(item?.noReplyReason).toBeUndefined();
  });

  it("keeps the plan id of an earlier release's item when the message is logged again without one", async () => {
    const phone = newPhone();
    // An earlier release: the MSG item points at its PLAN item by planId and holds no plan.
    const old = aMessage(phone);
    await client.send(new PutCommand({ TableName: tableName, Item: old }));
    const { planId: _none, ...late } = aMessage(phone, { noReplyReason: "older_than_newest" });
    await log.recordMessage(late);
    expect((await reader.byPhone(phone))[0]?.planId).toBe(old.planId);
  });

  it("gives a message logged without a plan its plan later, without the old reason", async () => {
    const phone = newPhone();
    await log.recordMessage(aMessage(phone, { noReplyReason: "policy_unavailable" }));
    await log.recordMessage(aMessage(phone, { replies: ["back"] }));
    const [item, ...others] = await reader.byPhone(phone);
    expect(others).toEqual([]);
    expect(texts(item)).toEqual(["back"]);
    expect(item?.noReplyReason).toBeUndefined();
  });

  it("stores a no-reply plan with its reason", async () => {
    const item = aMessage(newPhone(), { replies: [], noReplyReason: "no_rule_matched" });
    await log.recordMessage(item);
    expect(await find(item)).toMatchObject({ messages: [] });
    expect((await reader.byPhone(item.phone))[0]?.noReplyReason).toBe("no_rule_matched");
  });

  it("has no plan for a message never planned", async () => {
    expect(await find(aMessage(newPhone()))).toBeUndefined();
  });

  it("finds nothing for a message never logged, and a logged one's reason for no plan", async () => {
    const item = aMessage(newPhone(), { noReplyReason: "paused" });
    const lookup = { phone: item.phone, sk: item.sk, consistentRead: true };
    expect(await log.findMessage(lookup)).toBeUndefined();
    await log.recordMessage(item);
    expect(await log.findMessage(lookup)).toEqual({ noReplyReason: "paused" });
  });

  it("reads a message's own item, not an earlier release's PLAN item", async () => {
    const item = aMessage(newPhone(), { replies: ["stored before the upgrade"] });
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: { pk: item.pk, sk: `PLAN#${item.planId}`, phone: item.phone, ...planOf(item) },
      }),
    );
    const lookup = { phone: item.phone, sk: item.sk, consistentRead: true };
    expect(await log.findMessage(lookup)).toBeUndefined();
  });

  it("finds the plan an earlier release stored as a PLAN item", async () => {
    const item = aMessage(newPhone(), { replies: ["stored before the upgrade"] });
    const { phone, planId } = item;
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: { pk: item.pk, sk: `PLAN#${planId}`, phone, userId: null, ...planOf(item) },
      }),
    );
    expect((await find(item))?.messages.map((m) => m.text)).toEqual(["stored before the upgrade"]);
    expect((await reader.conversation(phone)).plans.map((p) => p.planId)).toEqual([planId]);
  });

  it("lists the plans stored with messages in every contact's pending items", async () => {
    const item = aMessage(newPhone(), { replies: ["a"] });
    await log.recordMessage(item);
    await log.recordMessage(aMessage(newPhone(), { noReplyReason: "paused" }));
    const byPhone = await reader.scanContacts();
    expect(byPhone.get(item.phone)?.map((i) => i.sk)).toEqual([item.sk]);
  });

  it("writes a message of 300 characters with a 300-character reply for 1 WRU (≤ 1 KB)", async () => {
    const item = aMessage(newPhone(), { text: "m".repeat(300), replies: ["r".repeat(300)] });
    consumed = [];
    await log.recordMessage(item);
    expect(consumed.map((c) => c.CapacityUnits)).toEqual([1]);
  });
});

describe("MSG items within DynamoDB's limits (informational fields)", () => {
  it("DynamoDB Local stores a string in 31 nested maps and refuses 32: the quota's 32 levels", async () => {
    const put = (depth: number) =>
      client.send(
        new PutCommand({
          TableName: tableName,
          Item: { pk: `LEVELS#${newPhone()}`, sk: "x", value: nested(depth) },
        }),
      );
    await expect(put(31)).resolves.toBeDefined();
    await expect(put(32)).rejects.toThrow(/Nesting Levels have exceeded supported limits/);
  });

  it("logs a message whose referral is nested 41 levels deep (the receiver accepts 64)", async () => {
    const item = aMessage(newPhone(), {
      replies: ["hi"],
      referral: nested(40) as Record<string, unknown>,
    });
    expect(await log.recordMessage(item)).toEqual(item);
    expect(await reader.byPhone(item.phone)).toEqual([item]);
  });

  it("logs every message, whatever its informational fields hold", async () => {
    await fc.assert(
      fc.asyncProperty(informationalValue, async (value) => {
        const item = aMessage(newPhone(), { referral: { value } });
        await log.recordMessage(item);
        // As JSON: DynamoDB has no -0.
        const asJson = (v: unknown) => JSON.parse(JSON.stringify(v)) as unknown;
        expect(asJson((await reader.byPhone(item.phone))[0]?.referral)).toEqual(
          asJson(item.referral),
        );
      }),
      { numRuns: 25 },
    );
  });
});
