import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { createDocumentClient } from "../../../lambdas/adapters/awsClients.js";
import { DynamoContactStore } from "../../../lambdas/adapters/DynamoContactStore.js";
import { DynamoReplyStore } from "../../../lambdas/adapters/DynamoReplyStore.js";
import type { ConversationItem } from "../../../lambdas/core/conversationLog.js";
import { contactStoreContract } from "../../support/contracts/contactStore.js";
import { replyStoreContract } from "../../support/contracts/replyStore.js";
import { provisionForTest } from "../../support/localAws.js";

/**
 * The conversation table's stores on DynamoDB Local, held to the ports' contracts: the same suites
 * the in-memory fakes pass (test/support/replyFakes.contract.test.ts).
 */
const table = provisionForTest().then((resources) => ({
  client: createDocumentClient(resources.awsEnv),
  tableName: resources.tables.conversation,
}));

contactStoreContract("DynamoDB", async () => {
  const { client, tableName } = await table;
  return {
    store: new DynamoContactStore(client, tableName),
    storedMessage: async (phone, sk) =>
      (
        await client.send(
          new GetCommand({
            TableName: tableName,
            Key: { pk: `PHONE#${phone}`, sk },
            ConsistentRead: true,
          }),
        )
      ).Item as ConversationItem | undefined,
  };
});

replyStoreContract("DynamoDB", async () => {
  const { client, tableName } = await table;
  return new DynamoReplyStore(client, tableName);
});
