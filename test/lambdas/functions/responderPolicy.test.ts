import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDocumentClient } from "../../../lambdas/adapters/awsClients.js";
import type { WebhookJob } from "../../../lambdas/core/messages.js";
import { maskPhone } from "../../../lambdas/core/phone.js";
import { policyRequestId } from "../../../lambdas/core/replyPolicy.js";
import { planIdFor } from "../../../lambdas/core/respondToJob.js";
import { postWebhook, sampleWebhookBody, signatureFor } from "../../../local/sampleWebhook.js";
import { DynamoConversationReader } from "../../../ops/conversationReader.js";
import { type CapturedOutput, captureOutput } from "../../reliability/support/captureOutput.js";
import { startWorkerChild } from "../../reliability/support/workerChild.js";
import { type PolicyEndpoint, startPolicyEndpoint } from "../../support/policyEndpoint.js";
import { waitFor } from "../../support/queues.js";
import { newPhone, startTestStack, type TestStack } from "../../support/testStack.js";

/**
 * The HTTP reply policy through the local stack (`npm start -- --policy-url`): the real receiver,
 * responder and sender on the local services, and a business's endpoint that verifies every
 * request with the `standardwebhooks` package. What a business relies on: it is asked only about
 * messages no rule answers, once per message whatever is retried or redelivered, and what it
 * answers is sent; while it is down the job waits with backoff and then lands in the (alarmed)
 * jobs DLQ; an answer it got wrong lands there at once, with a log line naming the field.
 */

const RULES = [{ match: "^rule", messages: [{ text: "a rule answered", delay: 0 }] }];
/** Receives per job: the third unavailable answer is the last before the DLQ. */
const MAX_RECEIVES = 3;

let pipeline: TestStack;
let policy: PolicyEndpoint;
let output: CapturedOutput;

beforeAll(async () => {
  output = captureOutput();
  policy = await startPolicyEndpoint();
  pipeline = await startTestStack({
    faultProxies: true,
    logLevel: "INFO",
    rules: RULES,
    replyPolicy: { url: policy.url, secret: policy.secret },
    timing: {
      // Longer than an invocation (a policy call included), as on AWS, so a job is never received
      // again while an attempt is still running; backoffs set their own, shorter, visibility.
      visibilityTimeoutSeconds: 4,
      maxReceiveCount: MAX_RECEIVES,
      // Long enough that a loaded machine answers in time; the timeout test waits it out 3 times.
      replyPolicyTimeoutMs: 2000,
    },
  });
  pipeline.startWorker("responder");
  pipeline.startWorker("sender");
}, 60_000);

afterAll(async () => {
  await pipeline?.stop();
  await policy?.stop();
  output?.restore();
});

const answer = (...messages: { text: string; delay: number }[]) => ({
  status: 200,
  body: { messages },
});

/** Delivers a customer's message through the receiver, signed as the vendor signs it. */
async function deliver(phone: string, text: string, at = Date.now()) {
  const body = sampleWebhookBody({ phone, text, at });
  const signature = signatureFor(body, pipeline.signingSecret, pipeline.signatureScheme);
  const result = await postWebhook(pipeline.receiverUrl, body, signature);
  expect(result.status).toBe(200);
  return body;
}

const texts = (phone: string) => pipeline.sentTo(phone).map((s) => s.text);

/** The jobs in the jobs DLQ for a contact (peeked, left in place). */
async function deadJobs(phone: string): Promise<WebhookJob[]> {
  const messages = await pipeline.peek(pipeline.resources.queues.jobsDlq);
  return messages
    .map((m) => JSON.parse(m.Body ?? "{}") as WebhookJob)
    .filter((job) => job.webhook?.phone === phone);
}

/** The responder's JSON log lines with this message. */
function logLines(message: string): Record<string, unknown>[] {
  return output
    .lines()
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.message === message);
}

describe("the HTTP reply policy, through the local stack", () => {
  it("is asked, signed so that an independent verifier accepts it, with the message and its history; its answer is sent", async () => {
    const phone = newPhone();
    policy.answer(
      phone,
      answer({ text: "from your policy", delay: 0 }, { text: "and later", delay: 300 }),
    );
    await deliver(phone, "what are your opening hours?");
    await waitFor("both replies sent", () => texts(phone).length === 2);
    expect(texts(phone)).toEqual(["from your policy", "and later"]);

    const [call, ...more] = policy.calls(phone);
    expect(more).toEqual([]);
    expect(call?.verified.ok).toBe(true);
    expect(call?.id).toMatch(/^msg_[0-9a-f]{32}$/);
    if (!call?.verified.ok) throw new Error("unverified");
    const { payload } = call.verified;
    expect(payload.webhook.phone).toBe(phone);
    expect(payload.history).toEqual([
      expect.objectContaining({ role: "user", content: "what are your opening hours?" }),
    ]);
    expect(Date.parse(payload.acceptedAt)).not.toBeNaN();
  }, 30_000);

  it("is not asked about a message a rule answers", async () => {
    const phone = newPhone();
    await deliver(phone, "rule please");
    await waitFor("the rule's reply", () => texts(phone).length === 1);
    expect(texts(phone)).toEqual(["a rule answered"]);
    expect(policy.calls(phone)).toEqual([]);
  }, 30_000);

  it("is asked once when the vendor delivers the same webhook twice", async () => {
    const phone = newPhone();
    policy.answer(phone, answer({ text: "only once", delay: 0 }));
    const body = await deliver(phone, "are you open today?");
    const signature = signatureFor(body, pipeline.signingSecret, pipeline.signatureScheme);
    expect((await postWebhook(pipeline.receiverUrl, body, signature)).status).toBe(200);
    await waitFor("the reply", () => texts(phone).length === 1);
    await waitFor(
      "no job left",
      async () => (await pipeline.depth(pipeline.resources.queues.jobs)) === 0,
    );
    expect(policy.calls(phone)).toHaveLength(1);
    expect(texts(phone)).toEqual(["only once"]);
  }, 30_000);

  it("is asked once when the same job reaches the responder twice (a repeat the receiver could not tell)", async () => {
    const phone = newPhone();
    policy.answer(
      phone,
      answer({ text: "one plan", delay: 0 }, { text: "one plan, second", delay: 200 }),
    );
    const job = await pipeline.enqueueJob("do you deliver?", phone);
    await waitFor("the plan sent", () => texts(phone).length === 2);
    await pipeline.send(pipeline.resources.queues.jobs, JSON.stringify(job));
    await waitFor("the repeat handled", () =>
      logLines("stored reply plan queued again").some((l) => l.planId === planIdFor(job.key)),
    );
    await waitFor(
      "no reply left",
      async () => (await pipeline.depth(pipeline.resources.queues.replies)) === 0,
    );
    expect(policy.calls(phone).map((c) => c.id)).toEqual([policyRequestId(job.key)]);
    expect(texts(phone)).toEqual(["one plan", "one plan, second"]);
  }, 30_000);

  it("is asked once when the responder fails after the policy answered, before the replies were queued", async () => {
    const phone = newPhone();
    policy.answer(phone, answer({ text: "survived a crash", delay: 0 }));
    // Fault injection: SQS goes away while the policy answers, so the responder stores the plan
    // and then cannot queue a reply; the job fails, and comes back after SQS is back.
    policy.beforeAnswer(phone, () => pipeline.proxies.sqs.setMode("refuse"));
    const job = await pipeline.enqueueJob("can I book a table?", phone);
    await waitFor(
      "the responder's failed attempt",
      () => logLines("job failed; it will be retried").length > 0,
    );
    await pipeline.proxies.sqs.setMode("up");
    await waitFor("the reply after the outage", () => texts(phone).length === 1);
    expect(
      logLines("stored reply plan queued again").some((l) => l.planId === planIdFor(job.key)),
    ).toBe(true);
    expect(policy.calls(phone)).toHaveLength(1);
    expect(texts(phone)).toEqual(["survived a crash"]);
  }, 40_000);

  it("is asked once when the responder process is killed after the plan was stored, before the replies were queued", async () => {
    const phone = newPhone();
    policy.answer(phone, answer({ text: "survived a kill", delay: 0 }));
    const reader = new DynamoConversationReader(
      createDocumentClient(pipeline.awsEnv),
      pipeline.resources.tables.conversation,
    );
    // The job goes to a responder in a process of its own; SQS hangs from the policy's answer on,
    // so the process stores the plan and then waits on its first SendMessage, where it is killed.
    await pipeline.workers.responder?.stop();
    const child = await startWorkerChild({
      worker: "responder",
      queueUrl: pipeline.resources.queues.jobs,
      sqsEndpoint: String(pipeline.awsEnv.AWS_ENDPOINT_URL_SQS),
      env: { ...pipeline.handlerEnv, POWERTOOLS_SERVICE_NAME: "responder" },
    });
    let job: WebhookJob | undefined;
    try {
      policy.beforeAnswer(phone, () => pipeline.proxies.sqs.setMode("hang"));
      job = await pipeline.enqueueJob("a table for two?", phone);
      await waitFor("the stored plan", async () => (await reader.byPhone(phone))[0]?.plan, {
        intervalMs: 20,
      });
    } finally {
      await child.kill();
      await pipeline.proxies.sqs.setMode("up");
      pipeline.startWorker("responder");
    }
    await waitFor("the reply after the kill", () => texts(phone).length === 1);
    expect(
      logLines("stored reply plan queued again").some(
        (l) => l.planId === planIdFor(job?.key ?? ""),
      ),
    ).toBe(true);
    expect(policy.calls(phone)).toHaveLength(1);
    expect(texts(phone)).toEqual(["survived a kill"]);
  }, 60_000);

  it("is asked again after a 5xx, with the same webhook-id, and its answer is sent once", async () => {
    const phone = newPhone();
    policy.answer(
      phone,
      { status: 503, body: { error: "busy" } },
      answer({ text: "after a retry", delay: 0 }),
    );
    const job = await pipeline.enqueueJob("is the kitchen open?", phone);
    await waitFor("the reply", () => texts(phone).length === 1, { timeoutMs: 25_000 });
    const calls = policy.calls(phone);
    expect(calls.map((c) => c.id)).toEqual([policyRequestId(job.key), policyRequestId(job.key)]);
    expect(calls.every((c) => c.verified.ok)).toBe(true);
    expect(logLines("reply policy unavailable; retrying with backoff")).toContainEqual(
      expect.objectContaining({ planId: planIdFor(job.key), status: 503, attempt: 1 }),
    );
    expect(texts(phone)).toEqual(["after a retry"]);
  }, 30_000);

  it("that does not answer in time is retried with backoff, then the job goes to the jobs DLQ", async () => {
    const phone = newPhone();
    policy.answer(phone, "hang");
    const job = await pipeline.enqueueJob("hello?", phone);
    const [dead] = await waitFor(
      "the job in the DLQ",
      async () => {
        const jobs = await deadJobs(phone);
        return jobs.length ? jobs : undefined;
      },
      { timeoutMs: 40_000 },
    );
    expect(dead?.key).toBe(job.key);
    expect(policy.calls(phone)).toHaveLength(MAX_RECEIVES);
    expect(new Set(policy.calls(phone).map((c) => c.id))).toEqual(
      new Set([policyRequestId(job.key)]),
    );
    expect(
      logLines("reply policy unavailable on the last attempt; the job goes to the DLQ"),
    ).toContainEqual(
      expect.objectContaining({
        // WARN: the responder's "job sent to the DLQ" line is the one ERROR for a dead job.
        level: "WARN",
        planId: planIdFor(job.key),
        attempt: MAX_RECEIVES,
        errorMessage: "the reply policy did not answer in time",
      }),
    );
    expect(texts(phone)).toEqual([]);
  }, 60_000);

  it("that answers something invalid sends the job to the DLQ at once, logging the field", async () => {
    const phone = newPhone();
    policy.answer(phone, { status: 200, body: { messages: [{ text: "hi", delay: "soon" }] } });
    const job = await pipeline.enqueueJob("what's on the menu?", phone);
    const [dead] = await waitFor("the job in the DLQ", async () => {
      const jobs = await deadJobs(phone);
      return jobs.length ? jobs : undefined;
    });
    expect(dead?.key).toBe(job.key);
    expect(policy.calls(phone)).toHaveLength(1);
    const [line] = logLines("reply policy answer invalid; job sent to the DLQ").filter((l) =>
      String(l.errorMessage).includes("messages[0].delay"),
    );
    expect(line).toMatchObject({ field: "messages[0].delay", level: "ERROR" });
    expect(texts(phone)).toEqual([]);
  }, 30_000);

  it("ties its invalid-answer log line to the contact: the key prefix and the masked phone", async () => {
    const phone = newPhone();
    policy.answer(phone, { status: 200, body: { messages: "none" } });
    const job = await pipeline.enqueueJob("is it open today?", phone);
    await waitFor("the job in the DLQ", async () => (await deadJobs(phone)).length > 0);
    const lines = logLines("reply policy answer invalid; job sent to the DLQ");
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: "ERROR",
        keyPrefix: job.key.slice(0, 12),
        phone: maskPhone(phone),
      }),
    );
  }, 30_000);

  it("never writes its secret to a log", () => {
    const secret = policy.secret;
    expect(output.text()).not.toContain(secret);
    expect(output.text()).not.toContain(secret.slice("whsec_".length));
  });
});
