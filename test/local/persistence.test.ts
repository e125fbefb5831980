import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { afterEach, describe, expect, it } from "vitest";
import { lostOnStopLine } from "../../local/persistence.js";
import { postWebhook, sampleWebhookBody, signatureFor } from "../../local/sampleWebhook.js";
import { type LocalStack, startLocalStack } from "../../local/stack.js";
import { queueDepth, waitFor } from "../support/queues.js";

/** `npm start -- --data-dir DIR`: a restart keeps the tables and the queues (scheduled replies). */

let stack: LocalStack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
}, 30_000);

const PHONE = "14155550177";
// A reply due seconds after the message: still scheduled when the stack stops.
const RULES = [{ match: "^hi$", messages: [{ text: "sorry for the wait", delay: 4000 }] }];

const start = (dataDir: string | undefined, workers?: "manual") =>
  startLocalStack({
    dataDir,
    rules: RULES,
    ...(workers ? { workers } : {}),
    logLevel: "ERROR",
    log: () => undefined,
  });

const dynamo = (s: LocalStack) =>
  new DynamoDBClient({
    endpoint: s.awsEnv.AWS_ENDPOINT_URL_DYNAMODB,
    region: s.awsEnv.AWS_REGION,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });

async function customerSays(s: LocalStack, text: string) {
  const body = sampleWebhookBody({ phone: PHONE, text, at: Date.now() });
  const answer = await postWebhook(
    s.receiverUrl,
    body,
    signatureFor(body, s.signingSecret, "hmac-sha256"),
  );
  expect(answer.status).toBe(200);
}

describe("local stack with a data directory", () => {
  it("keeps the tables across a restart", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "local-data-"));
    const item = { pk: { S: `PHONE#${PHONE}` }, sk: { S: "CONTACT" }, note: { S: "kept" } };

    stack = await start(dataDir, "manual");
    const before = dynamo(stack);
    await before.send(
      new PutItemCommand({ TableName: stack.resources.tables.conversation, Item: item }),
    );
    before.destroy();
    await stack.stop();

    stack = await start(dataDir, "manual");
    const after = dynamo(stack);
    const { Item } = await after.send(
      new GetItemCommand({
        TableName: stack.resources.tables.conversation,
        Key: { pk: item.pk, sk: item.sk },
      }),
    );
    after.destroy();
    expect(Item?.note?.S).toBe("kept");
  }, 120_000);

  it("keeps a reply still scheduled at shutdown, and sends it after the restart", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "local-data-"));
    // No sender before the restart: the reply is still scheduled at shutdown however long the
    // steps up to it take (its 4 s delay alone left a loaded machine racing the clock).
    stack = await start(dataDir, "manual");
    stack.workers.responder?.start();
    await customerSays(stack, "hi");
    const first = stack;
    await waitFor(
      "the scheduled reply on the replies queue",
      async () => (await queueDepth(first.sqsClient, first.resources.queues.replies)) === 1,
      { timeoutMs: 20_000 },
    );
    expect(await lostOnStopLine(stack, dataDir)).toBe(
      `stopping: 1 scheduled reply and 0 unprocessed jobs stay queued in ${dataDir}: the next npm start -- --data-dir ${dataDir} goes on with them`,
    );
    expect(stack.vendor.sent()).toEqual([]);
    await stack.stop();

    stack = await start(dataDir);
    const second = stack;
    await waitFor("the reply after the restart", () => second.vendor.sent().length === 1, {
      timeoutMs: 60_000,
    });
    expect(second.vendor.sent().map((s) => [s.phone, s.text])).toEqual([
      [`+${PHONE}`, "sorry for the wait"],
    ]);
  }, 120_000);

  it("keeps a job not yet processed at shutdown, and answers it after the restart", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "local-data-"));
    stack = await start(dataDir, "manual");
    await customerSays(stack, "hi");
    expect(await queueDepth(stack.sqsClient, stack.resources.queues.jobs)).toBe(1);
    await stack.stop();

    stack = await start(dataDir);
    const second = stack;
    await waitFor("the reply to the kept job", () => second.vendor.sent().length === 1, {
      timeoutMs: 20_000,
    });
  }, 120_000);
});

describe("local stack without a data directory", () => {
  it("says at shutdown what the in-memory queues lose", async () => {
    stack = await start(undefined, "manual");
    await customerSays(stack, "hi");
    expect(await lostOnStopLine(stack)).toBe(
      'stopping: 0 scheduled replies and 1 unprocessed job are lost: without --data-dir the local queues are kept in memory only (README, "Local persistence")',
    );
  }, 60_000);
});
