import { GetQueueAttributesCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { createDocumentClient } from "../../../lambdas/adapters/awsClients.js";
import { DynamoReplyStore } from "../../../lambdas/adapters/DynamoReplyStore.js";
import { ENV } from "../../../lambdas/contract.js";
import type { ScheduledReply } from "../../../lambdas/core/messages.js";
import { planIdFor } from "../../../lambdas/core/respondToJob.js";
import { readSenderConfig } from "../../../lambdas/functions/sender.js";
import { startEventSourceMapping, toSqsRecord } from "../../../local/eventSourceMapping.js";
import { createLambdaContext } from "../../../local/lambdaInvoke.js";
import { DynamoConversationReader } from "../../../ops/conversationReader.js";
import { provisionForTest } from "../../support/localAws.js";
import { waitFor } from "../../support/queues.js";
import { aReply } from "../../support/replyFixtures.js";
import { newPhone, startTestStack, type TestStack } from "../../support/testStack.js";

/**
 * The scheduled-reply loop on the real local services: jobs queue → responder → replies queue →
 * sender → vendor simulator, each worker under the local SQS event source mapping. The SQS hop is
 * set to 1 s, so every multi-second plan is chained through several hops.
 */

const RULES = [
  {
    match: "^three\\b",
    messages: [
      { text: "three: first", delay: 0 },
      { text: "three: second", delay: 2000 },
      { text: "three: third", delay: 3500 },
    ],
  },
  {
    match: "^chain\\b",
    messages: [
      { text: "chain: 1", delay: 0 },
      { text: "chain: 2", delay: 1500 },
      { text: "chain: 3", delay: 3200 },
      { text: "chain: 4", delay: 5000 },
    ],
  },
  {
    match: "^pair\\b",
    messages: [
      { text: "pair: a", delay: 0 },
      { text: "pair: b", delay: 0 },
    ],
  },
  { match: "^one\\b", messages: [{ text: "one: only", delay: 0 }] },
];

const MAX_RECEIVE_COUNT = 2;
const VISIBILITY_TIMEOUT_SECONDS = 4;
/** Clock and arrival-stamp granularity allowance for "never early". */
const EARLY_TOLERANCE_MS = 25;

let pipeline: TestStack;
let replies: DynamoReplyStore;
let conversation: DynamoConversationReader;

beforeAll(async () => {
  pipeline = await startTestStack({
    rules: RULES,
    maxSqsDelaySeconds: 1,
    // MAX_SEND_ATTEMPTS follows maxReceiveCount.
    timing: {
      visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS,
      maxReceiveCount: MAX_RECEIVE_COUNT,
      vendorTimeoutMs: 1000,
      workerTimeoutMs: (VISIBILITY_TIMEOUT_SECONDS - 0.5) * 1000,
    },
  });
  pipeline.startWorker("responder");
  pipeline.startWorker("sender");
  replies = new DynamoReplyStore(
    createDocumentClient(pipeline.awsEnv),
    pipeline.resources.tables.conversation,
  );
  // Warm up (cold starts, first DynamoDB Local calls, the token read), so timings below are steady-state.
  const warmUp = newPhone();
  await pipeline.enqueueJob("one", warmUp);
  await waitFor("the warm-up reply", () => pipeline.sentTo(warmUp).length >= 1);
  conversation = new DynamoConversationReader(
    createDocumentClient(pipeline.awsEnv),
    pipeline.resources.tables.conversation,
  );
});

afterAll(async () => {
  await pipeline?.stop();
});

async function dlqDepth(): Promise<number> {
  return pipeline.depth(pipeline.resources.queues.repliesDlq);
}

/**
 * Asserts arrival order, never early (delays are offsets from acceptance, so no reply leaves before
 * acceptedAt + its delay), and a liveness bound. Not the gaps between arrivals: a late first reply
 * (a loaded machine) shortens the next gap while every reply is on time or late, never early.
 */
function expectOnSchedule(
  sends: { text: string; atMs: number }[],
  acceptedAt: number,
  plan: { text: string; delay: number }[],
) {
  expect(sends.map((s) => s.text)).toEqual(plan.map((m) => m.text));
  sends.forEach((send, i) => {
    const delay = plan[i]?.delay ?? 0;
    // Never early; how late is the machine's load, not the sender's (the benchmarks measure it).
    expect(send.atMs - acceptedAt).toBeGreaterThanOrEqual(delay - EARLY_TOLERANCE_MS);
  });
}

describe("sender handler (with the responder, on the local services)", () => {
  it("sends a 0 / 2000 / 3500 ms plan in order, none before its due time", async () => {
    const phone = newPhone();
    const job = await pipeline.enqueueJob("three please", phone);
    await waitFor("three sends", () => pipeline.sentTo(phone).length >= 3);
    expectOnSchedule(pipeline.sentTo(phone), job.acceptedAt, RULES[0]?.messages ?? []);
  });

  it("logs the customer's message and every sent reply in the conversation table", async () => {
    const phone = newPhone();
    await pipeline.enqueueJob("one more thing", phone);
    await waitFor("the reply", () => pipeline.sentTo(phone).length >= 1);
    await waitFor(
      "the sent reply in the conversation",
      async () => (await conversation.conversation(phone)).timeline.length >= 2,
    );
    const { timeline } = await conversation.conversation(phone);
    expect(timeline.map((i) => [i.role, i.content, i.kind])).toEqual([
      ["user", "one more thing", "message"],
      ["bot", "one: only", "SENT"],
    ]);
  });

  it("delivers a plan longer than the maximum SQS hop in order, through chained hops", async () => {
    const phone = newPhone();
    const invocationsBefore = pipeline.vendor.callCounts().send ?? 0;
    const job = await pipeline.enqueueJob("chain it", phone);
    await waitFor("four sends", () => pipeline.sentTo(phone).length >= 4);
    expectOnSchedule(pipeline.sentTo(phone), job.acceptedAt, RULES[1]?.messages ?? []);
    expect((pipeline.vendor.callCounts().send ?? 0) - invocationsBefore).toBe(4);
  });

  it("keeps the order of messages due at the same moment", async () => {
    const phone = newPhone();
    await pipeline.enqueueJob("pair up", phone);
    await waitFor("two sends", () => pipeline.sentTo(phone).length >= 2);
    expect(pipeline.sentTo(phone).map((s) => s.text)).toEqual(["pair: a", "pair: b"]);
  });

  it("answers a duplicated job with one plan's worth of sends", async () => {
    const phone = newPhone();
    const job = await pipeline.enqueueJob("three again", phone);
    await pipeline.send(pipeline.resources.queues.jobs, JSON.stringify(job));
    await waitFor("three sends", () => pipeline.sentTo(phone).length >= 3);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(pipeline.sentTo(phone).map((s) => s.text)).toEqual(
      RULES[0]?.messages.map((m) => m.text),
    );
  });

  it("sends once when the vendor answers 500 and then 200", async () => {
    const phone = newPhone();
    pipeline.vendor.scriptSendResponses([
      { status: 500, body: { message: "Internal Server Error" } },
    ]);
    const job = await pipeline.enqueueJob("one", phone);
    await waitFor("the send", () => pipeline.sentTo(phone).length >= 1);
    // The vendor records the send before the sender hears back and marks it SENT.
    const item = await waitFor("the SENT reply item", async () => {
      const current = await replies.get({ phone, planId: planIdFor(job.key), seq: 0 });
      return current?.status === "SENT" ? current : undefined;
    });
    expect(item).toMatchObject({ status: "SENT", attempts: 2 });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(pipeline.sentTo(phone)).toHaveLength(1);
  });

  it("sends again after a vendor call that timed out though the vendor took the message (promise 8a)", async () => {
    // The vendor records the message, then answers long after VENDOR_TIMEOUT_MS (1 s here): the
    // sender cannot tell this from a vendor that never got it, retries, and the customer gets the
    // reply twice. The vendor's send API takes no idempotency key; docs/reliability.md says so.
    const phone = newPhone();
    pipeline.vendor.scriptSendResponses([{ status: 200, accept: true, delayMs: 60_000 }]);
    const job = await pipeline.enqueueJob("one", phone);
    const item = await waitFor("the SENT reply item", async () => {
      const current = await replies.get({ phone, planId: planIdFor(job.key), seq: 0 });
      return current?.status === "SENT" ? current : undefined;
    });
    expect(item).toMatchObject({ status: "SENT", attempts: 2 });
    const sends = pipeline.sentTo(phone);
    expect(sends.map((s) => s.text)).toEqual(["one: only", "one: only"]);
    // The vendor's side of the story: the first call's answer never reached the sender.
    expect(sends.map((s) => s.unanswered ?? false)).toEqual([true, false]);
  });

  it("does not retry the vendor's message-limit error, records it, and keeps it out of the DLQ", async () => {
    const phone = newPhone();
    pipeline.vendor.setMessageLimitReached(phone, true);
    const dlqBefore = await dlqDepth();
    const callsBefore = pipeline.vendor.callCounts().send ?? 0;
    const job = await pipeline.enqueueJob("one", phone);
    await waitFor(
      "the FAILED reply item",
      async () =>
        (await replies.get({ phone, planId: planIdFor(job.key), seq: 0 }))?.status === "FAILED",
    );
    await new Promise((resolve) => setTimeout(resolve, VISIBILITY_TIMEOUT_SECONDS * 1000 + 1000));
    const item = await replies.get({ phone, planId: planIdFor(job.key), seq: 0 });
    expect(item?.reason).toMatch(/message limit/i);
    expect(item?.attempts).toBe(1);
    expect((pipeline.vendor.callCounts().send ?? 0) - callsBefore).toBe(1);
    expect(pipeline.sentTo(phone)).toHaveLength(0);
    expect(await dlqDepth()).toBe(dlqBefore);
  });

  it("moves a reply to the DLQ after its last failed attempt, marked GAVE_UP", async () => {
    const phone = newPhone();
    const failing = { status: 503, body: { message: "Service Unavailable" } };
    pipeline.vendor.scriptSendResponses(Array.from({ length: MAX_RECEIVE_COUNT }, () => failing));
    const dlqBefore = await dlqDepth();
    const job = await pipeline.enqueueJob("one", phone);
    await waitFor("the DLQ", async () => (await dlqDepth()) > dlqBefore);
    expect(await replies.get({ phone, planId: planIdFor(job.key), seq: 0 })).toMatchObject({
      status: "GAVE_UP",
      attempts: MAX_RECEIVE_COUNT,
    });
    expect(pipeline.sentTo(phone)).toHaveLength(0);
  });

  it("moves a poison message to the DLQ", async () => {
    const dlqBefore = await dlqDepth();
    await pipeline.send(pipeline.resources.queues.replies, '{"kind":"scheduled-reply","text":');
    await waitFor("the DLQ", async () => (await dlqDepth()) > dlqBefore);
  });

  it("never resends a reply whose sender died during the vendor call; marks it UNKNOWN", async () => {
    const phone = newPhone();
    const reply = aReply({
      planId: `plan_died_${phone}`,
      phone,
      dueAt: Date.now(),
      text: "died mid-call",
    });
    const longAgo = Date.now() - 60_000;
    await replies.claim({
      phone,
      reply,
      planId: reply.planId,
      seq: 0,
      owner: "dead-worker",
      now: longAgo,
      leaseMs: 1000,
      ttlSeconds: 3600,
    });
    await pipeline.send(pipeline.resources.queues.replies, JSON.stringify(reply));
    await waitFor(
      "the UNKNOWN reply item",
      async () =>
        (await replies.get({ phone, planId: reply.planId, seq: 0 }))?.status === "UNKNOWN",
    );
    expect(pipeline.sentTo(phone)).toHaveLength(0);
  });
});

describe("sender handler crash after sending, before the ack", () => {
  it("does not send again when the unacknowledged message is redelivered", async () => {
    // A queue with no poller: the test plays the event source mapping that "dies" before deleting.
    const spare = await provisionForTest({
      vendorToken: "unused",
      visibilityTimeoutSeconds: 2,
      maxReceiveCount: 5,
    });
    const queueUrl = spare.queues.replies;
    const phone = newPhone();
    const reply: ScheduledReply = aReply({
      planId: `plan_crash_${phone}`,
      phone,
      dueAt: Date.now(),
      text: "sent once",
    });
    await pipeline.send(queueUrl, JSON.stringify(reply));
    const received = await pipeline.sqsClient.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        WaitTimeSeconds: 2,
        MessageSystemAttributeNames: ["All"],
      }),
    );
    const message = received.Messages?.[0];
    expect(message).toBeDefined();
    const arn = (
      await pipeline.sqsClient.send(
        new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }),
      )
    ).Attributes?.QueueArn as string;
    const event = { Records: [toSqsRecord(message ?? {}, arn)] };
    const senderHandler = pipeline.handlers.sender;
    if (!senderHandler) throw new Error("the stack has no sender");
    const response = await senderHandler(event, createLambdaContext("sender", 3000));
    expect(response.batchItemFailures).toEqual([]);
    expect(pipeline.sentTo(phone)).toHaveLength(1);
    // ...and the message is never deleted: it comes back after the visibility timeout.
    const mapping = startEventSourceMapping({
      queueUrl,
      handler: senderHandler,
      sqsClient: pipeline.sqsClient,
      functionName: "sender-after-crash",
      waitTimeSeconds: 1,
      log: () => undefined,
    });
    onTestFinished(() => mapping.stop());
    await waitFor(
      "the redelivery to be handled",
      async () => mapping.invocations() >= 1 && (await pipeline.depth(queueUrl)) === 0,
    );
    expect(pipeline.sentTo(phone)).toHaveLength(1);
    expect(await replies.get({ phone, planId: reply.planId, seq: 0 })).toMatchObject({
      status: "SENT",
      attempts: 1,
    });
  });
});

describe("readSenderConfig", () => {
  const env = () => ({ ...pipeline.handlerEnv });

  it("uses the documented Bearer prefix by default", () => {
    expect(readSenderConfig({ ...env(), [ENV.vendorAuthPrefix]: undefined }).vendorAuthPrefix).toBe(
      "Bearer ",
    );
  });

  it("sends the raw token when the prefix is 'none' or empty", () => {
    expect(readSenderConfig({ ...env(), [ENV.vendorAuthPrefix]: "none" }).vendorAuthPrefix).toBe(
      "",
    );
    expect(readSenderConfig({ ...env(), [ENV.vendorAuthPrefix]: "" }).vendorAuthPrefix).toBe("");
  });

  it("rejects an unknown phone format", () => {
    expect(() => readSenderConfig({ ...env(), [ENV.vendorPhoneFormat]: "national" })).toThrow(
      /VENDOR_PHONE_FORMAT must be one of e164, digits/,
    );
  });

  it("requires the vendor token's secret id, never the token itself", () => {
    expect(() => readSenderConfig({ ...env(), [ENV.vendorTokenSecretId]: undefined })).toThrow(
      /VENDOR_TOKEN_SECRET_ID is required/,
    );
  });

  it("rejects a vendor URL that is not http(s)", () => {
    expect(() => readSenderConfig({ ...env(), [ENV.vendorBaseUrl]: "ftp://x" })).toThrow(
      /VENDOR_BASE_URL/,
    );
  });
});
