import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDocumentClient } from "../../../lambdas/adapters/awsClients.js";
import { ENV, REPLY_POLICY_ENV } from "../../../lambdas/contract.js";
import { ConfigurationError } from "../../../lambdas/core/errors.js";
import type { ScheduledReply } from "../../../lambdas/core/messages.js";
import { jobGroupId } from "../../../lambdas/core/receiveWebhook.js";
import { planIdFor } from "../../../lambdas/core/respondToJob.js";
import {
  createResponderHandler,
  readResponderConfig,
  responderDeps,
} from "../../../lambdas/functions/responder.js";
import { DynamoConversationReader } from "../../../ops/conversationReader.js";
import { fifoRecord, lambdaContext } from "../../support/events.js";
import { waitFor } from "../../support/queues.js";
import { aJob, aWebhook } from "../../support/replyFixtures.js";
import { newPhone, startTestStack, type TestStack } from "../../support/testStack.js";

/**
 * The responder under the local SQS event source mapping, on the real local services. No sender
 * runs here: the replies queue is read directly to see what was scheduled.
 */

const RULES = [
  {
    match: "hello",
    messages: [
      { text: "Hi!", delay: 0 },
      { text: "How can we help?", delay: 2000 },
      { text: "We're here till 6pm.", delay: 3500 },
    ],
  },
];

let pipeline: TestStack;
let conversation: DynamoConversationReader;

beforeAll(async () => {
  pipeline = await startTestStack({
    rules: RULES,
    timing: { visibilityTimeoutSeconds: 1, maxReceiveCount: 2, waitingDurationSeconds: 15 },
  });
  pipeline.startWorker("responder");
  conversation = new DynamoConversationReader(
    createDocumentClient(pipeline.awsEnv),
    pipeline.resources.tables.conversation,
  );
});

afterAll(async () => {
  await pipeline?.stop();
});

/**
 * The scheduled replies for `phone` on the replies queue, one per plan position, once `count`
 * distinct ones were seen (each received and hidden for 30 s). A job redelivered while the
 * responder still worked on it (a 1 s visibility timeout here: a slow machine gets there) queues
 * its plan's replies again, by design: the sender's reply items make the copies harmless.
 */
async function collectReplies(phone: string, count: number): Promise<ScheduledReply[]> {
  const found = new Map<string, ScheduledReply>();
  await waitFor(`${count} scheduled replies`, async () => {
    for (const message of await pipeline.peek(pipeline.resources.queues.replies, 30)) {
      const reply = JSON.parse(message.Body ?? "{}") as ScheduledReply;
      if (reply.phone === phone) found.set(`${reply.planId}#${reply.seq}`, reply);
    }
    return found.size >= count;
  });
  return [...found.values()];
}

describe("responder handler", () => {
  it("schedules the matching rule's plan on the replies queue", async () => {
    const phone = newPhone();
    const job = await pipeline.enqueueJob("hello there", phone);
    const replies = await collectReplies(phone, 3);
    expect(replies.sort((a, b) => a.seq - b.seq)).toEqual(
      RULES[0]?.messages.map((m, seq) =>
        expect.objectContaining({
          kind: "scheduled-reply",
          planId: planIdFor(job.key),
          seq,
          total: 3,
          phone,
          text: m.text,
          dueAt: job.acceptedAt + m.delay,
        }),
      ),
    );
  }, 20_000);

  it("logs the message with its plan, and claims it on the contact", async () => {
    const phone = newPhone();
    const job = await pipeline.enqueueJob("hello log", phone);
    await waitFor(
      "the user's message in the log",
      async () => (await conversation.byPhone(phone)).length === 1,
    );
    expect(await conversation.byPhone(phone)).toEqual([
      expect.objectContaining({ role: "user", content: "hello log", planId: planIdFor(job.key) }),
    ]);
    expect((await conversation.conversation(phone)).contact).toMatchObject({
      lastInboundKey: job.key,
      planId: planIdFor(job.key),
    });
  }, 20_000);

  it("logs but does not answer the business's own outgoing message", async () => {
    const phone = newPhone();
    const webhook = aWebhook({
      phone,
      incomingMessage: false,
      lastMessageOfUser: "hello",
      lastMessages: [],
    });
    await pipeline.enqueueJob("hello", phone, { webhook });
    await waitFor("the log entry", async () => (await conversation.byPhone(phone)).length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const scheduled = (await pipeline.peek(pipeline.resources.queues.replies, 0)).filter((m) =>
      (m.Body ?? "").includes(phone),
    );
    expect(scheduled).toHaveLength(0);
  }, 20_000);

  it("moves an unusable job to the DLQ", async () => {
    const before = await pipeline.depth(pipeline.resources.queues.jobsDlq);
    await pipeline.send(
      pipeline.resources.queues.jobs,
      JSON.stringify({ kind: "webhook-job", version: 1 }),
    );
    await waitFor(
      "the jobs DLQ",
      async () => (await pipeline.depth(pipeline.resources.queues.jobsDlq)) > before,
    );
  }, 20_000);
});

describe("responder handler on a batch holding several jobs of one contact (as AWS delivers FIFO)", () => {
  it("moves a job that can never succeed to the jobs DLQ at once and runs the contact's later job", async () => {
    const phone = newPhone();
    const at = Date.now();
    const later = aJob({
      key: `job_${phone}_${at}_later`,
      acceptedAt: at,
      webhook: aWebhook({ phone, lastMessageOfUser: "STOP", userLastMessageTimeMs: at }),
    });
    const group = jobGroupId(later.webhook);
    const unusable = { kind: "webhook-job", version: 1, note: `unusable ${phone}` };
    const dlqBefore = await pipeline.depth(pipeline.resources.queues.jobsDlq);
    const handler = createResponderHandler(
      responderDeps(readResponderConfig({ ...pipeline.handlerEnv })),
    );
    const response = await handler(
      {
        Records: [
          fifoRecord(JSON.stringify(unusable), group, `bad_${phone}`),
          fifoRecord(JSON.stringify(later), group, later.key),
        ],
      },
      lambdaContext("responder"),
    );
    // Nothing comes back: the unusable job is in the DLQ, the STOP after it was handled.
    expect(response.batchItemFailures).toEqual([]);
    expect(await pipeline.depth(pipeline.resources.queues.jobsDlq)).toBe(dlqBefore + 1);
    const dead = (await pipeline.peek(pipeline.resources.queues.jobsDlq, 0)).filter(
      (m) => m.Body === JSON.stringify(unusable),
    );
    expect(dead).toHaveLength(1);
    expect((await conversation.byPhone(phone)).length).toBeGreaterThanOrEqual(1);
  }, 20_000);
});

describe("readResponderConfig", () => {
  const env = () => ({ ...pipeline.handlerEnv });

  it("fails fast, naming the variable and the rule, on a bad regular expression", () => {
    expect(() =>
      readResponderConfig({
        ...env(),
        [ENV.replyRules]: JSON.stringify([{ match: "(", messages: [{ text: "x", delay: 0 }] }]),
      }),
    ).toThrow(/REPLY_RULES: reply rule 0: match is not a pattern RE2 accepts/);
  });

  it("rejects a delay beyond WAITING_DURATION_SECONDS", () => {
    expect(() => readResponderConfig({ ...env(), [ENV.waitingDurationSeconds]: "1" })).toThrow(
      ConfigurationError,
    );
  });

  it("treats missing rules as no replies", () => {
    const config = readResponderConfig({ ...env(), [ENV.replyRules]: undefined });
    expect(config.rules).toHaveLength(0);
  });

  describe("with an HTTP reply policy", () => {
    const policyEnv = () => ({
      ...env(),
      [REPLY_POLICY_ENV.url]: "https://policy.example.com/reply",
      [REPLY_POLICY_ENV.secretId]: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:policy",
      [ENV.jobsDeadLetterQueueUrl]: pipeline.resources.queues.jobsDlq,
    });

    it("reads the policy's settings, with the default timeout", () => {
      expect(readResponderConfig(policyEnv()).httpPolicy).toEqual({
        url: "https://policy.example.com/reply",
        secretId: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:policy",
        timeoutMs: 5000,
      });
    });

    it("has none without REPLY_POLICY_URL, and still the jobs DLQ for unusable jobs", () => {
      const config = readResponderConfig(env());
      expect(config.httpPolicy).toBeUndefined();
      expect(config.jobsDeadLetterQueueUrl).toBe(pipeline.resources.queues.jobsDlq);
    });

    it("requires the secret's id and the jobs DLQ with the URL, naming the variable", () => {
      expect(() =>
        readResponderConfig({ ...policyEnv(), [REPLY_POLICY_ENV.secretId]: undefined }),
      ).toThrow("environment variable REPLY_POLICY_SECRET_ID is required");
      expect(() =>
        readResponderConfig({ ...policyEnv(), [ENV.jobsDeadLetterQueueUrl]: "" }),
      ).toThrow("environment variable JOBS_DLQ_URL is required");
    });

    it("refuses plain http to another host, naming the variable", () => {
      expect(() =>
        readResponderConfig({
          ...policyEnv(),
          [REPLY_POLICY_ENV.url]: "http://policy.example.com/",
        }),
      ).toThrow(/^environment variable REPLY_POLICY_URL: the reply policy URL must be https:\/\//);
    });
  });

  it("rejects a hop above SQS's 900 s", () => {
    expect(() => readResponderConfig({ ...env(), [ENV.maxSqsDelaySeconds]: "901" })).toThrow(
      /MAX_SQS_DELAY_SECONDS/,
    );
  });
});
