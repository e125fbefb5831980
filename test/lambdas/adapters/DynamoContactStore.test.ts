import type { ConsumedCapacity } from "@aws-sdk/client-dynamodb";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { createDocumentClient } from "../../../lambdas/adapters/awsClients.js";
import { DynamoContactStore } from "../../../lambdas/adapters/DynamoContactStore.js";
import { type ConversationItem, planOf } from "../../../lambdas/core/conversationLog.js";
import { DynamoConversationReader } from "../../../ops/conversationReader.js";
import { aMessage } from "../../support/contracts/contactStore.js";
import { informationalValue, nested } from "../../support/dynamoStorable.js";
import { provisionForTest } from "../../support/localAws.js";

/**
 * MSG items on DynamoDB Local, beyond the ContactStore contract every store passes
 * (test/support/contracts/contactStore.ts): items of earlier releases, the write's cost, DynamoDB's
 * item limits, and the items as the ops reader reads them back.
 */

let log: DynamoContactStore;
let reader: DynamoConversationReader;
let client: ReturnType<typeof createDocumentClient>;
let tableName: string;
/** The write capacity DynamoDB Local reports for each write since the last reset. */
let consumed: ConsumedCapacity[] = [];
let phoneCounter = 0;
const newPhone = () => `1415300${String(++phoneCounter).padStart(4, "0")}`;

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
  log = new DynamoContactStore(client, tableName);
  reader = new DynamoConversationReader(client, tableName);
});

/** The plan stored for a message, as a redelivered job looks for it (legacy PLAN items too). */
const find = async (item: ConversationItem) =>
  (await log.findMessage({ phone: item.phone, sk: item.sk, consistentRead: true }))?.plan ??
  (await log.findLegacyPlan({ phone: item.phone, planId: item.planId ?? "" }));

describe("DynamoContactStore (messages and their plans)", () => {
  it("reads a contact's messages back as they were written", async () => {
    const item = aMessage(newPhone(), { replies: ["a", "b"] });
    await log.recordMessage(item);
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
