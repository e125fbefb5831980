import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ScheduledReply, WebhookJob } from "../../lambdas/core/messages.js";
import { drainRaw, queueDepth, sendRaw, waitFor } from "../support/queues.js";
import { startTestStack, type TestStack } from "../support/testStack.js";
import { withoutResends } from "../support/vendorResends.js";
import { type CapturedOutput, captureOutput } from "./support/captureOutput.js";
import { deliverWithRetries, type PostResult, signedWebhook } from "./support/deliveries.js";

/**
 * Duplicate storm (docs/reliability.md): 100 concurrent deliveries of one webhook and 100 of distinct ones
 * through the local HTTP endpoint. Each stage is counted on its own queue: exactly one job per
 * distinct webhook (the FIFO jobs queue drops the repeats), exactly one reply plan per job, each
 * reply once at the vendor, in order; and a repeat that arrives after SQS's 5-minute window (a
 * second job with the same key) yields no second plan or reply.
 */

const RULES = [
  {
    match: ".*",
    messages: [
      { text: "first", delay: 0 },
      { text: "second", delay: 300 },
    ],
  },
];
const COPIES = 100;
const DISTINCT = 100;
const STORM_PHONE = "14155550000";
/**
 * How long the work may stand still (no job taken, no reply sent) before a wait fails: on a machine
 * loaded twice over the whole storm took 20 s; waits measure progress, so a machine loaded many
 * times over is slow here, not failing.
 */
const STALL_MS = 60_000;
/** A test's bound, for a machine loaded many times over (at load 35 on 2 cores: minutes). */
const LOADED_MACHINE_TEST_MS = 600_000;
const phoneOf = (i: number) => `1415556${String(i).padStart(4, "0")}`;

describe("duplicate storm through the local HTTP endpoint", {
  timeout: LOADED_MACHINE_TEST_MS,
}, () => {
  let pipeline: TestStack;
  let output: CapturedOutput;
  const identical: PostResult[][] = [];
  const distinct: PostResult[][] = [];
  let jobs: WebhookJob[] = [];
  let replies: ScheduledReply[] = [];

  beforeAll(async () => {
    output = captureOutput();
    pipeline = await startTestStack({
      faultProxies: true,
      logLevel: "INFO",
      rules: RULES,
      // The vendor simulator shares the machine: on a loaded one its answer can take seconds, and
      // a send that times out is resent by design (promise 8a). The longest timeout the settings
      // allow keeps that window for what it is, rare; the count below excuses only such resends.
      timing: { visibilityTimeoutSeconds: 10, vendorTimeoutMs: 10_000 },
    });
  });
  afterAll(async () => {
    await pipeline?.stop();
    output?.restore();
  });

  const statusOf = (answer: PostResult | undefined) =>
    (answer?.body as { status?: string } | undefined)?.status;

  it("answers each of 100 identical concurrent deliveries 200 (accepted or duplicate)", async () => {
    const at = Date.now();
    const storm = signedWebhook(pipeline.signingSecret, { phone: STORM_PHONE, text: "hi", at });
    const others = Array.from({ length: DISTINCT }, (_, i) =>
      signedWebhook(pipeline.signingSecret, { phone: phoneOf(i), text: `hello ${i}`, at }),
    );
    // All 200 at once; a 503 (a slow dependency) is retried, as the vendor does.
    const answers = await Promise.all([
      ...Array.from({ length: COPIES }, () => deliverWithRetries(pipeline.receiverUrl, storm)),
      ...others.map((delivery) => deliverWithRetries(pipeline.receiverUrl, delivery)),
    ]);
    identical.push(...answers.slice(0, COPIES));
    distinct.push(...answers.slice(COPIES));

    // Every answer was a 200 or a retryable 503, never an error of another kind (on a machine
    // loaded many times over, also no answer within the client's 15 s, which the vendor retries
    // as it does a 503); each delivery ends in a 200. The receiver cannot tell a repeat (SQS
    // answers it like the first), so the contract's "accepted or duplicate" is "accepted" here;
    // the queue below holds one job.
    const kindOf = (answer: PostResult) =>
      answer.status === 0 && answer.text.startsWith("TimeoutError") ? "timeout" : answer.status;
    for (const answer of identical.flat()) expect([200, 503, "timeout"]).toContain(kindOf(answer));
    for (const tries of identical) {
      expect(tries.at(-1)?.status).toBe(200);
      expect(["accepted", "duplicate"]).toContain(statusOf(tries.at(-1)));
    }
  });

  it("answers each of 100 distinct concurrent deliveries 200 accepted", () => {
    for (const tries of distinct) {
      expect(tries.at(-1)?.status).toBe(200);
      expect(statusOf(tries.at(-1))).toBe("accepted");
    }
  });

  it("queued exactly one job per distinct webhook", async () => {
    const raw = await drainRaw(pipeline.sqsClient, pipeline.resources.queues.jobs);
    jobs = raw.map((body) => JSON.parse(body) as WebhookJob);
    const phones = jobs.map((job) => job.webhook.phone).sort();
    expect(phones).toEqual(
      [STORM_PHONE, ...Array.from({ length: DISTINCT }, (_, i) => phoneOf(i))].sort(),
    );
    expect(new Set(jobs.map((job) => job.key)).size).toBe(DISTINCT + 1);
    await sendRaw(pipeline.sqsClient, pipeline.resources.queues.jobs, raw);
  });

  it(
    "turned each job into exactly one reply plan of two messages",
    async () => {
      pipeline.startWorker("responder");
      await waitFor(
        "the responder to empty the jobs queue",
        async () =>
          (await queueDepth(pipeline.sqsClient, pipeline.resources.queues.jobs)) === 0
            ? true
            : undefined,
        {
          timeoutMs: STALL_MS,
          // Jobs in flight leave the depth as it is; the replies they queue show the work going on.
          progress: async () =>
            (await queueDepth(pipeline.sqsClient, pipeline.resources.queues.jobs)) +
            (await queueDepth(pipeline.sqsClient, pipeline.resources.queues.replies)),
        },
      );
      await pipeline.stopWorkers();
      // The second message of each plan is due 300 ms after acceptance: it may still be delayed.
      // A job redelivered while the responder still worked on it (a slow machine) queues its plan's
      // replies again, by design (the sender's reply items make copies harmless): at least, then.
      await waitFor(
        "every reply on the queue",
        async () =>
          (await queueDepth(pipeline.sqsClient, pipeline.resources.queues.replies)) >=
          2 * (DISTINCT + 1)
            ? true
            : undefined,
        {
          timeoutMs: STALL_MS,
          progress: () => queueDepth(pipeline.sqsClient, pipeline.resources.queues.replies),
        },
      );
      await new Promise((resolve) => setTimeout(resolve, 1200));
      const raw = await drainRaw(pipeline.sqsClient, pipeline.resources.queues.replies);
      replies = raw.map((body) => JSON.parse(body) as ScheduledReply);
      const plans = new Map<string, Set<number>>();
      for (const reply of replies)
        plans.set(reply.planId, new Set([...(plans.get(reply.planId) ?? []), reply.seq]));
      expect(plans.size).toBe(DISTINCT + 1);
      for (const seqs of plans.values()) expect([...seqs].sort()).toEqual([0, 1]);
      await sendRaw(pipeline.sqsClient, pipeline.resources.queues.replies, raw);
    },
    LOADED_MACHINE_TEST_MS,
  );

  it(
    "sent each reply once, in order, to each contact",
    async () => {
      pipeline.startWorker("sender");
      const expected = 2 * (DISTINCT + 1);
      await waitFor(
        "every reply at the vendor",
        () => (pipeline.vendor.sent().length >= expected ? true : undefined),
        { timeoutMs: STALL_MS, progress: () => pipeline.vendor.sent().length },
      );
      // Give any stray second send time to show up before counting.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      // A copy after an unanswered send of the same reply is the documented resend after a
      // vendor timeout (promise 8a); any other copy is a double.
      const byPhone = new Map<string, string[]>();
      for (const record of withoutResends(pipeline.vendor.sent())) {
        byPhone.set(record.phone, [...(byPhone.get(record.phone) ?? []), record.text]);
      }
      expect([...byPhone.values()].flat()).toHaveLength(expected);
      expect(byPhone.size).toBe(DISTINCT + 1);
      for (const texts of byPhone.values()) expect(texts).toEqual(["first", "second"]);
      expect(await queueDepth(pipeline.sqsClient, pipeline.resources.queues.repliesDlq)).toBe(0);
      expect(await queueDepth(pipeline.sqsClient, pipeline.resources.queues.jobsDlq)).toBe(0);
    },
    LOADED_MACHINE_TEST_MS,
  );

  it(
    "sends nothing more for the storm's message repeated after the deduplication window",
    async () => {
      // What SQS does with a repeat after its 5-minute window: a second job with the same key (a
      // fresh deduplication id stands in for the window having passed).
      const stormJob = jobs.find((job) => job.webhook.phone === STORM_PHONE);
      expect(stormJob).toBeDefined();
      const before = pipeline.vendor.sent().length;
      const depthBefore = await queueDepth(pipeline.sqsClient, pipeline.resources.queues.jobs);
      await sendRaw(pipeline.sqsClient, pipeline.resources.queues.jobs, [
        JSON.stringify({ ...stormJob, acceptedAt: Date.now() }),
      ]);
      pipeline.startWorker("responder");
      await waitFor(
        "the responder to take the late repeat",
        async () =>
          (await queueDepth(pipeline.sqsClient, pipeline.resources.queues.jobs)) === depthBefore
            ? true
            : undefined,
        { timeoutMs: STALL_MS },
      );
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expect(pipeline.vendor.sent()).toHaveLength(before);
      expect(await queueDepth(pipeline.sqsClient, pipeline.resources.queues.jobsDlq)).toBe(0);
    },
    LOADED_MACHINE_TEST_MS,
  );
});
