import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  enqueueDelaySeconds,
  hopCount,
  nextTimingStep,
  ORDER_WAIT_LIMIT_MS,
  orderWaitDelaySeconds,
  orderWaitExpired,
  parseReplyScheduleName,
  placeReply,
  replyScheduleName,
  retryDelaySeconds,
  SCHEDULE_LEAD_SECONDS,
} from "../../../lambdas/core/schedule.js";

describe("enqueueDelaySeconds", () => {
  it("is the whole seconds until due, rounded down", () => {
    expect(enqueueDelaySeconds(0, 3500, 900)).toBe(3);
  });

  it("is 0 when due now or overdue", () => {
    expect(enqueueDelaySeconds(5000, 4000, 900)).toBe(0);
  });

  it("never exceeds the hop limit", () => {
    expect(enqueueDelaySeconds(0, 3_600_000, 900)).toBe(900);
    expect(enqueueDelaySeconds(0, 10_000, 2)).toBe(2);
  });

  it("never exceeds SQS's 900 s even when configured higher", () => {
    expect(enqueueDelaySeconds(0, 3_600_000, 5000)).toBe(900);
  });
});

describe("nextTimingStep", () => {
  it("hops while at least a second early", () => {
    expect(nextTimingStep(0, 2500, 900)).toEqual({ kind: "hop", delaySeconds: 2 });
  });

  it("waits in-process for the last sub-second", () => {
    expect(nextTimingStep(0, 999, 900)).toEqual({ kind: "wait", ms: 999 });
  });

  it("sends at once when overdue", () => {
    expect(nextTimingStep(10_000, 1, 900)).toEqual({ kind: "wait", ms: 0 });
  });

  it("reaches any due time without overshooting and ends with a sub-second wait", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 900 }),
        fc.double({ min: 0, max: 40, noNaN: true }),
        fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 50 }),
        (maxHop, hops, latenesses) => {
          // Up to ~40 hops' worth of delay, so the walk stays short for any hop size.
          const dueAt = Math.floor(hops * maxHop * 1000);
          // Simulate SQS: each hop arrives after its delay plus some delivery lateness.
          let now = 0;
          for (let i = 0; ; i++) {
            const step = nextTimingStep(now, dueAt, maxHop);
            if (step.kind === "wait") {
              expect(now + step.ms).toBe(Math.max(now, dueAt));
              return;
            }
            expect(step.delaySeconds).toBeLessThanOrEqual(maxHop);
            expect(now + step.delaySeconds * 1000).toBeLessThanOrEqual(dueAt);
            now += step.delaySeconds * 1000 + (latenesses[i % Math.max(1, latenesses.length)] ?? 0);
          }
        },
      ),
    );
  });
});

describe("hopCount", () => {
  it("is one delivery for replies due within the first hop", () => {
    expect(hopCount(3500, 900)).toBe(2);
    expect(hopCount(800, 900)).toBe(1);
  });

  it("chains a 60-day wait in 900 s hops", () => {
    expect(hopCount(60 * 24 * 3600 * 1000, 900)).toBe(5761);
  });
});

describe("retryDelaySeconds", () => {
  it("doubles with each attempt from the base", () => {
    const delays = [1, 2, 3, 4].map((attempt) =>
      retryDelaySeconds(attempt, { baseSeconds: 2, random: 1 - 1e-9 }),
    );
    expect(delays).toEqual([2, 4, 8, 16]);
  });

  it("keeps at least half of the exponential delay under jitter", () => {
    expect(retryDelaySeconds(4, { baseSeconds: 2, random: 0 })).toBe(8);
  });

  it("is capped", () => {
    expect(retryDelaySeconds(30, { baseSeconds: 2, maxSeconds: 60, random: 1 - 1e-9 })).toBe(60);
  });

  it("honours a longer Retry-After", () => {
    expect(retryDelaySeconds(1, { baseSeconds: 1, retryAfterSeconds: 30 })).toBe(30);
  });

  it("is at least one second", () => {
    expect(retryDelaySeconds(1, { baseSeconds: 0, random: 0 })).toBe(1);
  });
});

describe("order waiting", () => {
  it("re-checks after a second when the reply is on time", () => {
    expect(orderWaitDelaySeconds(1000, 1000)).toBe(1);
  });

  it("backs off as the reply gets later, up to a minute", () => {
    expect(orderWaitDelaySeconds(40_000, 0)).toBe(10);
    expect(orderWaitDelaySeconds(3_600_000, 0)).toBe(60);
  });

  it("gives up on the predecessor after the order-wait limit", () => {
    expect(orderWaitExpired(ORDER_WAIT_LIMIT_MS, 0)).toBe(false);
    expect(orderWaitExpired(ORDER_WAIT_LIMIT_MS + 1, 0)).toBe(true);
  });

  it("does not give up on a predecessor written to within the order-wait limit", () => {
    const now = 2 * ORDER_WAIT_LIMIT_MS;
    expect(orderWaitExpired(now, 0, now - ORDER_WAIT_LIMIT_MS)).toBe(false);
    expect(orderWaitExpired(now, 0, now - ORDER_WAIT_LIMIT_MS - 1)).toBe(true);
  });
});

describe("placeReply (far replies through schedules)", () => {
  const DAY = 24 * 3600 * 1000;
  const withScheduler = { maxHopSeconds: 900, scheduler: true };

  it("queues a reply one SQS hop reaches, with its delay", () => {
    expect(placeReply(0, 900_000, withScheduler)).toEqual({ kind: "queue", delaySeconds: 900 });
    expect(placeReply(0, 60_000, withScheduler)).toEqual({ kind: "queue", delaySeconds: 60 });
  });

  it("schedules a reply further than one hop to fire its lead before it is due", () => {
    expect(placeReply(0, 60 * DAY, withScheduler)).toEqual({
      kind: "schedule",
      fireAt: 60 * DAY - SCHEDULE_LEAD_SECONDS * 1000,
    });
  });

  it("names a whole second at or before due minus the lead (Scheduler's at() has seconds)", () => {
    expect(placeReply(0, 3_600_000 + 700, withScheduler)).toEqual({
      kind: "schedule",
      fireAt: 3_600_000 - SCHEDULE_LEAD_SECONDS * 1000,
    });
  });

  it("names the same time for a retried job, whenever it runs", () => {
    const dueAt = 7 * DAY + 123;
    expect(placeReply(5000, dueAt, withScheduler)).toEqual(
      placeReply(90_000, dueAt, withScheduler),
    );
  });

  it("keeps the lead within one hop when hops are shorter (local chaining)", () => {
    expect(placeReply(0, 10_000, { maxHopSeconds: 3, scheduler: true })).toEqual({
      kind: "schedule",
      fireAt: 7000,
    });
  });

  it("chains through the queue when the stack has no scheduler", () => {
    expect(placeReply(0, 60 * DAY, { maxHopSeconds: 900, scheduler: false })).toEqual({
      kind: "queue",
      delaySeconds: 900,
    });
  });

  it("leaves at most one SQS hop after the schedule fires on time, whatever the delay", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 * DAY }),
        fc.integer({ min: 1, max: 900 }),
        (delay, hop) => {
          const placement = placeReply(0, delay, { maxHopSeconds: hop, scheduler: true });
          const from = placement.kind === "schedule" ? placement.fireAt : 0;
          expect(from).toBeLessThanOrEqual(delay);
          expect(hopCount(delay - from, hop)).toBeLessThanOrEqual(2);
        },
      ),
    );
  });
});

describe("replyScheduleName", () => {
  it("is the plan id and the 3-digit seq, within Scheduler's name rules, and reads back", () => {
    const name = replyScheduleName(`plan_${"a".repeat(32)}`, 7);
    expect(name).toBe(`plan_${"a".repeat(32)}-007`);
    expect(name).toMatch(/^[0-9a-zA-Z-_.]{1,64}$/);
    expect(parseReplyScheduleName(name)).toEqual({ planId: `plan_${"a".repeat(32)}`, seq: 7 });
    expect(parseReplyScheduleName("someone-elses")).toBeUndefined();
  });
});
