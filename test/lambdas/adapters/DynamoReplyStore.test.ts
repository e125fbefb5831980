import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import { createDocumentClient } from "../../../lambdas/adapters/awsClients.js";
import { DynamoReplyStore } from "../../../lambdas/adapters/DynamoReplyStore.js";
import type { ReplyRef } from "../../../lambdas/core/ports.js";
import { applyWrite, type ReplyWrite } from "../../../lambdas/core/replyItem.js";
import { provisionForTest } from "../../support/localAws.js";
import { boundaryCases, replyKey } from "../../support/replyItems.js";

/**
 * The DynamoDB store's conditions and updates against the protocol's (core/replyItem.ts): for every
 * item a reply can have next to every write (on the edges of each condition), DynamoDB Local
 * applies the write exactly when the core says it applies, and leaves the item the core says. The behaviours themselves are the contract suite's
 * (conversationTable.contract.test.ts).
 */

/** The store's protected primitive, as the protocol calls it. */
class ExposedStore extends DynamoReplyStore {
  apply(ref: ReplyRef, write: ReplyWrite) {
    return this.applyIfAllowed(ref, write);
  }
}

let store: ExposedStore;
let client: ReturnType<typeof createDocumentClient>;
let tableName: string;

beforeAll(async () => {
  const resources = await provisionForTest();
  client = createDocumentClient(resources.awsEnv);
  tableName = resources.tables.conversation;
  store = new ExposedStore(client, tableName);
});

describe("DynamoReplyStore against the reply item protocol", () => {
  it("applies a write exactly when the core's condition holds, leaving the core's item, on every edge", async () => {
    const cases = boundaryCases((i) => ({
      phone: "14155552671",
      planId: `plan_edge_${i}`,
      seq: 0,
    }));
    // In batches: DynamoDB Local on a shared machine.
    for (let start = 0; start < cases.length; start += 50) {
      await Promise.all(
        cases.slice(start, start + 50).map(async ({ ref, item, write }) => {
          if (item) await client.send(new PutCommand({ TableName: tableName, Item: item }));
          const expected = applyWrite(replyKey(ref), item, write);
          const applied = await store.apply(ref, write);
          const label = `${item?.status ?? "no item"} ${JSON.stringify(item)} ← ${write.transition}`;
          expect(applied, label).toBe(expected !== undefined);
          expect(await store.get(ref), label).toEqual(expected ?? item);
        }),
      );
    }
  });
});
