import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type CountingProxy, startCountingProxy } from "../../local/countingProxy.js";
import { jumpClock } from "../../local/jumpClock.js";
import { postWebhook, sampleWebhookBody, signatureFor } from "../../local/sampleWebhook.js";
import {
  type RunningScheduler,
  startSchedulerStandIn,
} from "../../local/services/schedulerStandIn.js";
import { type LocalStack, startLocalStack } from "../../local/stack.js";
import { waitFor } from "../support/queues.js";

/**
 * A reply 60 days away on the local stack, on a compressed clock: the responder puts it in one
 * schedule, the Scheduler stand-in fires it a few seconds (the lead, here the 3 s hop) before it
 * is due once the clock is moved there, and the sender takes one final SQS hop and sends it.
 * Counted at the services: the stand-in's calls and fires, and the handlers' SQS sends.
 */

const DAY = 24 * 3600 * 1000;
const HOP_SECONDS = 3;
const clock = jumpClock();
let scheduler: RunningScheduler;
let sqsCounter: CountingProxy;
let stack: LocalStack;

beforeAll(async () => {
  const awsEnv = inject("awsEnv");
  // A Scheduler stand-in of this file's own, on the compressed clock, firing onto the shared fauxqs.
  scheduler = await startSchedulerStandIn({
    sqsEndpoint: awsEnv.AWS_ENDPOINT_URL_SQS as string,
    now: clock.now,
    pollMs: 100,
  });
  stack = await startLocalStack({
    services: { awsEnv: { ...awsEnv, AWS_ENDPOINT_URL_SCHEDULER: scheduler.endpoint } },
    prefix: `far${Date.now() % 100_000}-`,
    rules: [
      {
        match: "^remind",
        messages: [
          { text: "Noted", delay: 0 },
          { text: "Your 60-day reminder", delay: 60 * DAY },
        ],
      },
    ],
    maxSqsDelaySeconds: HOP_SECONDS,
    clock,
    logLevel: "WARN",
    log: () => undefined,
    wrapEndpoint: async (service, endpoint) => {
      if (service !== "sqs") return undefined;
      sqsCounter = await startCountingProxy(endpoint);
      return { endpoint: sqsCounter.endpoint, stop: () => sqsCounter.stop() };
    },
  });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await scheduler?.stop();
});

describe("a reply 60 days away (compressed clock)", () => {
  it("takes one schedule and one final hop, and is sent once, not before it is due", async () => {
    const body = sampleWebhookBody({ phone: "14155550191", text: "remind me", at: Date.now() });
    const acceptedBy = Date.now();
    const answer = await postWebhook(
      stack.receiverUrl,
      body,
      signatureFor(body, stack.signingSecret, stack.signatureScheme),
    );
    expect(answer.status).toBe(200);
    await waitFor("the first reply", () => stack.vendor.sent().length >= 1, { timeoutMs: 20_000 });
    await waitFor(
      "the far reply's schedule",
      () => scheduler.pending(stack.resources.schedules.group) === 1,
      {
        timeoutMs: 20_000,
      },
    );
    const sendsBefore = sqsCounter.tallies().get("SendMessage")?.calls ?? 0;

    // 60 days pass, but for the last few seconds (counted from just before acceptance, so the
    // schedule, due the hop before the reply, fires after the jump, however slow the machine).
    clock.advance(acceptedBy + 60 * DAY - (HOP_SECONDS + 1) * 1000 - clock.now());
    await waitFor("the reminder", () => stack.vendor.sent().length >= 2, { timeoutMs: 20_000 });
    // A little longer: a second send would show.
    await new Promise((resolve) => setTimeout(resolve, 1500));

    const sent = stack.vendor.sent();
    expect(sent.map((s) => s.text)).toEqual(["Noted", "Your 60-day reminder"]);
    // Real time of the send + how far the clock was moved: never before acceptance + 60 days.
    const sentAt = Date.parse(String(sent[1]?.at)) + clock.offset();
    expect(sentAt).toBeGreaterThanOrEqual(acceptedBy + 60 * DAY - 1000);
    expect(scheduler.calls.get("CreateSchedule")).toBe(1);
    expect(scheduler.fired()).toBe(1);
    expect(scheduler.pending(stack.resources.schedules.group)).toBe(0);
    // The handlers' sends after the schedule was made: the sender's one final hop, no chain.
    expect((sqsCounter.tallies().get("SendMessage")?.calls ?? 0) - sendsBefore).toBe(1);
  }, 60_000);
});
