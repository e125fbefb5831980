import { SendMessageBatchCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ScheduledReply, WebhookJob } from "../../lambdas/core/messages.js";
import { planIdFor } from "../../lambdas/core/respondToJob.js";
import { drainRaw, queueDepth, sendRaw, waitFor } from "../support/queues.js";
import { startTestStack, type TestStack } from "../support/testStack.js";
import { ambiguousFailure, withoutResends } from "../support/vendorResends.js";
import { type CapturedOutput, captureOutput } from "./support/captureOutput.js";
import { type PostResult, post, signedWebhook } from "./support/deliveries.js";
import { startWorkerChild } from "./support/workerChild.js";

/**
 * Faults (docs/reliability.md), each a real failure of a real service: the fault proxies between the
 * handlers and DynamoDB Local, fauxqs, the Secrets Manager stand-in and the vendor simulator
 * refuse or reset connections; a worker process is SIGKILLed. The promises: a delivery the
 * receiver cannot take answers 5xx (so the vendor retries) and its retry becomes exactly one job;
 * a redelivered batch sends nothing twice; replies held up by a vendor outage go out after it,
 * in order, once; a message that can never succeed ends in its DLQ, where the alarm sees it.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function expectRetryLater(answer: PostResult): void {
  expect(answer.status).toBe(503);
  expect(answer.body).toEqual({
    error: "unavailable",
    message: "temporarily unable to accept the webhook; retry later",
  });
  expect(Number(answer.headers["retry-after"])).toBeGreaterThanOrEqual(1);
}

/**
 * How long the work may stand still (no reply sent, the replies queue unchanged) before a wait
 * fails: waits measure progress, so a machine loaded many times over is slow here, not failing.
 */
const STALL_MS = 30_000;
/** A test's bound, for a machine loaded many times over (at load 35 on 2 cores: minutes). */
const LOADED_MACHINE_TEST_MS = 600_000;

/** The count a wait on the vendor and the replies queue sees grow (or shrink) as work goes on. */
const sendProgress = async (pipeline: TestStack) =>
  pipeline.vendor.sent().length * 1000 +
  (await queueDepth(pipeline.sqsClient, pipeline.resources.queues.replies));

/**
 * The texts the vendor received per phone (with "+"), in arrival order, a resend after a vendor
 * timeout (promise 8a) left out: on a loaded machine the simulator, on this test's event loop,
 * answers later than the sender's timeout now and then. `plans` names each phone's plan, so that
 * the sender's own timeout warnings in `logLines` count too; any other copy stays, as a double.
 */
function sentByPhone(
  pipeline: TestStack,
  plans: ReadonlyMap<string, { planId: string; texts: readonly string[] }> = new Map(),
  logLines: readonly string[] = [],
): Map<string, string[]> {
  const failures = new Map<string, number>();
  for (const line of logLines) {
    const failure = ambiguousFailure(line);
    if (failure) failures.set(failure, (failures.get(failure) ?? 0) + 1);
  }
  const byPhone = new Map<string, string[]>();
  const sent = withoutResends(pipeline.vendor.sent(), (record) => {
    const plan = plans.get(record.phone);
    return plan ? (failures.get(`${plan.planId}#${plan.texts.indexOf(record.text)}`) ?? 0) : 0;
  });
  for (const record of sent) {
    byPhone.set(record.phone, [...(byPhone.get(record.phone) ?? []), record.text]);
  }
  return byPhone;
}

describe("receiver with a dependency down", { timeout: 90_000 }, () => {
  const RULES = [
    {
      match: ".*",
      messages: [
        { text: "got it", delay: 0 },
        { text: "more soon", delay: 200 },
      ],
    },
  ];
  let pipeline: TestStack;
  let output: CapturedOutput;
  /** Phone of each scenario's delivery. */
  const phones: string[] = [];
  /** Plan of each delivery's job, by phone as the vendor sees it. */
  const plans = new Map<string, { planId: string; texts: string[] }>();
  const delivery = (phone: string) => {
    phones.push(phone);
    return signedWebhook(pipeline.signingSecret, { phone, text: "hello", at: Date.now() });
  };

  beforeAll(async () => {
    output = captureOutput();
    pipeline = await startTestStack({
      faultProxies: true,
      logLevel: "INFO",
      rules: RULES,
      timing: { visibilityTimeoutSeconds: 2, vendorTimeoutMs: 2000 },
    });
  });
  afterAll(async () => {
    await pipeline?.stop();
    output?.restore();
  });

  it("answers 503 while Secrets Manager is down and nothing is cached, then accepts the retry once", async () => {
    const webhook = delivery("14155550301");
    await pipeline.proxies.secretsManager.setMode("refuse");
    expectRetryLater(await post(pipeline.receiverUrl, webhook));
    expectRetryLater(await post(pipeline.receiverUrl, webhook));
    await pipeline.proxies.secretsManager.setMode("up");
    expect((await post(pipeline.receiverUrl, webhook)).body).toEqual({ status: "accepted" });
    expect((await post(pipeline.receiverUrl, webhook)).body).toEqual({ status: "accepted" });
  });

  it("keeps accepting from the cached secret while Secrets Manager is down", async () => {
    const webhook = delivery("14155550302");
    await pipeline.proxies.secretsManager.setMode("reset");
    try {
      expect((await post(pipeline.receiverUrl, webhook)).body).toEqual({ status: "accepted" });
    } finally {
      await pipeline.proxies.secretsManager.setMode("up");
    }
  });

  it("keeps accepting while DynamoDB is down: the receiver's path has no DynamoDB", async () => {
    const webhook = delivery("14155550303");
    await pipeline.proxies.dynamodb.setMode("refuse");
    try {
      expect((await post(pipeline.receiverUrl, webhook)).body).toEqual({ status: "accepted" });
    } finally {
      await pipeline.proxies.dynamodb.setMode("up");
    }
  });

  it("answers 503 while SQS is down, then accepts the retry at once", async () => {
    const webhook = delivery("14155550304");
    await pipeline.proxies.sqs.setMode("refuse");
    expectRetryLater(await post(pipeline.receiverUrl, webhook));
    await pipeline.proxies.sqs.setMode("reset");
    expectRetryLater(await post(pipeline.receiverUrl, webhook));
    await pipeline.proxies.sqs.setMode("up");
    expect((await post(pipeline.receiverUrl, webhook)).body).toEqual({ status: "accepted" });
    expect((await post(pipeline.receiverUrl, webhook)).body).toEqual({ status: "accepted" });
  });

  it("queued exactly one job for each delivery", async () => {
    const raw = await drainRaw(pipeline.sqsClient, pipeline.resources.queues.jobs);
    const jobs = raw.map((body) => JSON.parse(body) as WebhookJob);
    const jobPhones = jobs.map((job) => job.webhook.phone);
    for (const job of jobs) {
      const texts = (RULES[0]?.messages ?? []).map((m) => m.text);
      plans.set(`+${job.webhook.phone}`, { planId: planIdFor(job.key), texts });
    }
    expect(jobPhones.sort()).toEqual([...phones].sort());
    await sendRaw(pipeline.sqsClient, pipeline.resources.queues.jobs, raw);
  });

  it(
    "sent each delivery's replies exactly once, in order",
    async () => {
      pipeline.startWorker("responder");
      pipeline.startWorker("sender");
      await waitFor(
        "all replies",
        () => (pipeline.vendor.sent().length >= 2 * phones.length ? true : undefined),
        { timeoutMs: STALL_MS, progress: () => sendProgress(pipeline) },
      );
      // Settle time: a stray second send would show by now.
      await sleep(1000);
      const byPhone = sentByPhone(pipeline, plans, output.lines());
      expect([...byPhone.keys()].sort()).toEqual(phones.map((p) => `+${p}`).sort());
      for (const texts of byPhone.values()) expect(texts).toEqual(["got it", "more soon"]);
    },
    LOADED_MACHINE_TEST_MS,
  );
});

describe("workers under faults", { timeout: 90_000 }, () => {
  const TEXTS = ["one", "two", "three", "four"];
  let pipeline: TestStack;
  let output: CapturedOutput;

  /** Each enqueued plan, by phone as the vendor sees it. */
  const plans = new Map<string, { planId: string; texts: string[] }>();
  /** Lines the sender worker processes wrote (the in-process workers' are in `output`). */
  const childLines: string[] = [];
  const sent = (phone: string) =>
    sentByPhone(pipeline, plans, [...output.lines(), ...childLines]).get(phone);

  /**
   * Waits for `count` sends at the vendor, then for every copy on the replies queue (redelivered
   * originals, hopped copies) to be handled: a second send of a reply would show by then.
   */
  async function allSettled(what: string, count: number) {
    const steady = { timeoutMs: STALL_MS, progress: () => sendProgress(pipeline) };
    await waitFor(what, () => (pipeline.vendor.sent().length >= count ? true : undefined), steady);
    await waitFor(
      "the replies queue to empty",
      async () =>
        (await queueDepth(pipeline.sqsClient, pipeline.resources.queues.replies)) === 0
          ? true
          : undefined,
      steady,
    );
  }

  /** Replies at the vendor, a resend after a timeout not counted (the child's lines given). */
  const repliesSent = (lines: readonly string[]) =>
    [...sentByPhone(pipeline, plans, [...output.lines(), ...lines]).values()].flat().length;

  /** Puts a plan of four replies for `phone` on the replies queue, due at the given offsets. */
  async function enqueuePlan(phone: string, offsetsMs: number[], jobKey: string) {
    const now = Date.now();
    const planId = planIdFor(jobKey);
    plans.set(`+${phone}`, { planId, texts: TEXTS });
    const replies: ScheduledReply[] = TEXTS.map((text, seq) => ({
      kind: "scheduled-reply",
      version: 1,
      planId,
      seq,
      total: TEXTS.length,
      phone,
      userId: null,
      text,
      dueAt: now + (offsetsMs[seq] ?? 0),
    }));
    await pipeline.sqsClient.send(
      new SendMessageBatchCommand({
        QueueUrl: pipeline.resources.queues.replies,
        Entries: replies.map((reply, i) => ({ Id: String(i), MessageBody: JSON.stringify(reply) })),
      }),
    );
  }

  beforeAll(async () => {
    output = captureOutput();
    pipeline = await startTestStack({
      faultProxies: true,
      logLevel: "INFO",
      rules: [],
      // The vendor simulator shares the machine: on a loaded one its answer can take seconds, and
      // a send that times out is resent by design (promise 8a). A timeout well above a send's
      // milliseconds keeps that rare; the counts excuse only such resends.
      timing: { visibilityTimeoutSeconds: 10, workerTimeoutMs: 9000, vendorTimeoutMs: 3000 },
    });
  });
  afterAll(async () => {
    await pipeline?.stop();
    output?.restore();
  });

  it(
    "sends nothing twice when a sender is killed mid-batch and the batch is redelivered",
    async () => {
      const child = await startWorkerChild({
        worker: "sender",
        queueUrl: pipeline.resources.queues.replies,
        sqsEndpoint: String(pipeline.awsEnv.AWS_ENDPOINT_URL_SQS),
        // An invocation long enough to wait for the later replies in-process: its batch is
        // unfinished at the kill, however late a loaded machine lets this test see the first four.
        env: { ...pipeline.handlerEnv, WORKER_TIMEOUT_MS: "60000" },
      });
      try {
        // Two plans in one batch: the first two replies of each go out at once, the last two (15 s
        // out) wait in the worker and are not being sent at the kill.
        const offsets = [0, 300, 15_000, 15_500];
        await enqueuePlan("14155550401", offsets, "kill-a");
        await enqueuePlan("14155550402", offsets, "kill-b");
        await waitFor(
          "the first two replies of both plans",
          () => (repliesSent(child.output().split("\n")) >= 4 ? true : undefined),
          { intervalMs: 5, timeoutMs: STALL_MS, progress: () => sendProgress(pipeline) },
        );
      } finally {
        await child.kill();
        childLines.push(...child.output().split("\n"));
      }
      // Mid-batch: some replies out, the rest of the batch not yet.
      const atKill = repliesSent(childLines);
      expect(atKill).toBeGreaterThanOrEqual(4);
      expect(atKill).toBeLessThan(8);
      // Another worker takes over: the killed batch comes back after its visibility timeout and
      // the later replies go out when due (hopping through the queue, as this worker waits less).
      pipeline.startWorker("sender");
      await allSettled("all eight replies", 8);
      expect(sent("+14155550401")).toEqual(TEXTS);
      expect(sent("+14155550402")).toEqual(TEXTS);
      // The redelivered copies of the replies sent before the kill met their reply items.
      const skipped = output
        .lines()
        .filter((l) => l.includes("reply already handled; not sending again"));
      expect(skipped.length).toBeGreaterThanOrEqual(atKill);
      await pipeline.stopWorkers();
    },
    LOADED_MACHINE_TEST_MS,
  );

  it(
    "sends replies held up by a vendor outage after it ends, in order, once",
    async () => {
      pipeline.vendor.reset();
      await pipeline.proxies.vendor.setMode("reset");
      const attemptsBefore = pipeline.proxies.vendor.connections();
      pipeline.startWorker("sender");
      await enqueuePlan("14155550403", [0, 200, 400, 600], "outage");
      await waitFor(
        "two failed send attempts",
        () => (pipeline.proxies.vendor.connections() - attemptsBefore >= 2 ? true : undefined),
        { timeoutMs: STALL_MS },
      );
      expect(pipeline.vendor.sent()).toEqual([]);
      await pipeline.proxies.vendor.setMode("up");
      await allSettled("all four replies after the outage", 4);
      expect(sent("+14155550403")).toEqual(TEXTS);
      expect(await queueDepth(pipeline.sqsClient, pipeline.resources.queues.repliesDlq)).toBe(0);
      await pipeline.stopWorkers();
    },
    LOADED_MACHINE_TEST_MS,
  );
});

describe("poison messages", { timeout: 90_000 }, () => {
  let pipeline: TestStack;
  let output: CapturedOutput;

  beforeAll(async () => {
    output = captureOutput();
    pipeline = await startTestStack({
      faultProxies: true,
      logLevel: "INFO",
      rules: [],
      timing: { visibilityTimeoutSeconds: 1, maxReceiveCount: 2, vendorTimeoutMs: 2000 },
    });
    pipeline.startWorker("responder");
    pipeline.startWorker("sender");
  });
  afterAll(async () => {
    await pipeline?.stop();
    output?.restore();
  });

  /** Whether the DLQ depth alarm of the Pulumi program would fire for this queue now. */
  async function dlqAlarmFires(queueUrl: string): Promise<boolean> {
    const { alarmSpecs } = await import("../../infra/components/PipelineAlarms.js");
    const name = queueUrl.split("/").at(-1) as string;
    const spec = alarmSpecs({
      deadLetterQueues: { dlq: name },
      workQueues: {},
      functions: {},
      ingress: { kind: "functionUrl", functionName: "receiver", receiverLogGroupName: "local" },
      region: "us-east-1",
    }).find((s) => s.key === "dlq-dlq-depth");
    expect(spec?.metricName).toBe("ApproximateNumberOfMessagesVisible");
    // The alarm compares "greater than threshold" on the queue's visible-message count.
    return (
      (await queueDepth(pipeline.sqsClient, queueUrl)) >
      (spec?.threshold ?? Number.POSITIVE_INFINITY)
    );
  }

  it("moves a job that can never be processed to the jobs DLQ, where the DLQ alarm sees it", async () => {
    expect(await dlqAlarmFires(pipeline.resources.queues.jobsDlq)).toBe(false);
    await pipeline.sqsClient.send(
      new SendMessageCommand({
        QueueUrl: pipeline.resources.queues.jobs,
        MessageBody: JSON.stringify({ kind: "webhook-job", version: 1, key: "poison" }),
        MessageGroupId: "poison",
        MessageDeduplicationId: "poison",
      }),
    );
    await waitFor("the poison job in the DLQ", async () =>
      (await queueDepth(pipeline.sqsClient, pipeline.resources.queues.jobsDlq)) === 1
        ? true
        : undefined,
    );
    expect(await dlqAlarmFires(pipeline.resources.queues.jobsDlq)).toBe(true);
    expect(await queueDepth(pipeline.sqsClient, pipeline.resources.queues.jobs)).toBe(0);
    expect(output.text()).toContain("unusable job; job sent to the DLQ");
  });

  it("moves a reply that can never be sent to the replies DLQ, where the DLQ alarm sees it", async () => {
    await pipeline.sqsClient.send(
      new SendMessageCommand({
        QueueUrl: pipeline.resources.queues.replies,
        MessageBody: "not json at all",
      }),
    );
    await waitFor("the poison reply in the DLQ", async () =>
      (await queueDepth(pipeline.sqsClient, pipeline.resources.queues.repliesDlq)) === 1
        ? true
        : undefined,
    );
    expect(await dlqAlarmFires(pipeline.resources.queues.repliesDlq)).toBe(true);
    expect(output.text()).toContain("unusable scheduled reply; it will end in the DLQ");
    expect(pipeline.vendor.sent()).toEqual([]);
  });
});
