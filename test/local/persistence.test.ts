import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { afterEach, describe, expect, it } from "vitest";
import { lostOnStopLine } from "../../local/persistence.js";
import { postWebhook, sampleWebhookBody, signatureFor } from "../../local/sampleWebhook.js";
import { type LocalStack, startLocalStack } from "../../local/stack.js";
import { queueDepth } from "../support/queues.js";

/** `npm start -- --data-dir DIR`: what a restart keeps (tables) and what it loses (queues). */

let stack: LocalStack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
}, 30_000);

const start = (dataDir: string) =>
  startLocalStack({
    dataDir,
    rules: [],
    workers: "manual",
    logLevel: "ERROR",
    log: () => undefined,
  });

const dynamo = (s: LocalStack) =>
  new DynamoDBClient({
    endpoint: s.awsEnv.AWS_ENDPOINT_URL_DYNAMODB,
    region: s.awsEnv.AWS_REGION,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });

describe("local stack with a data directory", () => {
  it("keeps the tables across a restart and says at shutdown what the queues lose", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "local-data-"));
    const item = { pk: { S: "PHONE#14155550177" }, sk: { S: "CONTACT" }, note: { S: "kept" } };

    stack = await start(dataDir);
    const before = dynamo(stack);
    await before.send(
      new PutItemCommand({ TableName: stack.resources.tables.conversation, Item: item }),
    );
    before.destroy();
    // The workers are not running: the job waits in the queue, as work does at any shutdown.
    const body = sampleWebhookBody({ phone: "14155550177", text: "hi", at: Date.now() });
    const answer = await postWebhook(
      stack.receiverUrl,
      body,
      signatureFor(body, stack.signingSecret, "hmac-sha256"),
    );
    expect(answer.status).toBe(200);
    expect(await lostOnStopLine(stack)).toBe(
      'stopping: 0 scheduled replies and 1 unprocessed job are lost: the local queues are kept in memory only (README, "Local persistence")',
    );
    await stack.stop();

    stack = await start(dataDir);
    const after = dynamo(stack);
    const { Item } = await after.send(
      new GetItemCommand({
        TableName: stack.resources.tables.conversation,
        Key: { pk: item.pk, sk: item.sk },
      }),
    );
    after.destroy();
    expect(Item?.note?.S).toBe("kept");
    expect(await queueDepth(stack.sqsClient, stack.resources.queues.jobs)).toBe(0);
    expect(await lostOnStopLine(stack)).toBeUndefined();
  }, 120_000);
});
