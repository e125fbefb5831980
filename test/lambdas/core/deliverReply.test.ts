import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  assessReplyItem,
  deliverReply,
  isAcknowledged,
} from "../../../lambdas/core/deliverReply.js";
import type { ScheduledReply } from "../../../lambdas/core/messages.js";
import { type ReplyItem, replySk } from "../../../lambdas/core/replyItem.js";
import { ORDER_WAIT_LIMIT_MS } from "../../../lambdas/core/schedule.js";
import {
  drainSimulatedQueue,
  type InFlight,
  memoryDeliveryDeps,
  silentLogger,
} from "../../support/replyFakes.js";
import { aReply as fixtureReply } from "../../support/replyFixtures.js";

/** A reply due at the simulated clock's epoch unless a test says otherwise. */
const aReply: typeof fixtureReply = (overrides = {}) => fixtureReply({ dueAt: 0, ...overrides });

const first = { receiveCount: 1 };

describe("deliverReply", () => {
  describe("timing", () => {
    it("hops back onto the queue while at least a second early, without sending", async () => {
      const deps = memoryDeliveryDeps({ maxHopSeconds: 900 }, 0);
      const result = await deliverReply(aReply({ dueAt: 5_400 }), first, deps);
      expect(result).toEqual({ kind: "hopped", delaySeconds: 5 });
      expect(deps.repliesQueue.sent.map((s) => s.delaySeconds)).toEqual([5]);
      expect(deps.vendor.calls).toHaveLength(0);
    });

    it("hops at most the configured maximum at a time", async () => {
      const deps = memoryDeliveryDeps({ maxHopSeconds: 2 }, 0);
      expect(await deliverReply(aReply({ dueAt: 60_000 }), first, deps)).toEqual({
        kind: "hopped",
        delaySeconds: 2,
      });
    });

    it("waits out the last sub-second in-process and sends at the due time", async () => {
      const deps = memoryDeliveryDeps({}, 1_000);
      await deliverReply(aReply({ dueAt: 1_700 }), first, deps);
      expect(deps.vendor.delivered.map((d) => d.at)).toEqual([1_700]);
    });

    it("sends an overdue reply at once", async () => {
      const deps = memoryDeliveryDeps({}, 9_000);
      await deliverReply(aReply({ dueAt: 1_000 }), first, deps);
      expect(deps.vendor.delivered.map((d) => d.at)).toEqual([9_000]);
    });
  });

  describe("sending once", () => {
    it("marks the reply SENT and logs it as a bot message", async () => {
      const deps = memoryDeliveryDeps({}, 0);
      const reply = aReply({ text: "Hello from the bot" });
      expect((await deliverReply(reply, first, deps)).kind).toBe("sent");
      expect(deps.replies.items.get(replySk(reply.planId, 0))).toMatchObject({
        status: "SENT",
        attempts: 1,
      });
      // The reply's item is also the bot message of the conversation.
      expect(deps.replies.items.get(replySk(reply.planId, 0))).toMatchObject({
        role: "bot",
        content: "Hello from the bot",
      });
    });

    it("logs a send as its plan id, reply number and lateness, and the attempt only when it was not the first", async () => {
      const sent = async (receiveCount: number) => {
        const deps = memoryDeliveryDeps({}, 9_000);
        const lines: [string, Record<string, unknown> | undefined][] = [];
        deps.logger = { ...silentLogger, info: (message, extra) => lines.push([message, extra]) };
        await deliverReply(aReply({ dueAt: 1_000, seq: 0, total: 1 }), { receiveCount }, deps);
        return lines.filter(([message]) => message === "reply sent").map(([, extra]) => extra);
      };
      const { planId } = aReply();
      // No phone: the responder's line of this plan id leads to the receiver's, which has it.
      expect(await sent(1)).toEqual([{ planId, seq: 0, latenessMs: 8_000 }]);
      expect(await sent(3)).toEqual([{ planId, seq: 0, latenessMs: 8_000, attempt: 3 }]);
    });

    it("does not send a redelivered reply again", async () => {
      const deps = memoryDeliveryDeps({}, 0);
      const reply = aReply();
      await deliverReply(reply, first, deps);
      const again = await deliverReply(reply, { receiveCount: 2 }, deps);
      expect(again).toEqual({ kind: "already-done", status: "SENT" });
      expect(deps.vendor.calls).toHaveLength(1);
    });

    it("leaves a reply alone while another worker's claim is live", async () => {
      const deps = memoryDeliveryDeps({ leaseMs: 10_000 }, 0);
      const reply = aReply();
      await deps.replies.claim({
        phone: reply.phone,
        reply,
        planId: reply.planId,
        seq: 0,
        owner: "other",
        now: 0,
        leaseMs: 10_000,
        ttlSeconds: 60,
      });
      deps.clock.current = 4_000;
      expect(await deliverReply(reply, first, deps)).toMatchObject({
        kind: "retry",
        delaySeconds: 6,
      });
      expect(deps.vendor.calls).toHaveLength(0);
    });

    it("never resends when a worker died during the vendor call (lease expired): UNKNOWN", async () => {
      const deps = memoryDeliveryDeps({ leaseMs: 10_000 }, 0);
      const reply = aReply();
      await deps.replies.claim({
        phone: reply.phone,
        reply,
        planId: reply.planId,
        seq: 0,
        owner: "dead",
        now: 0,
        leaseMs: 10_000,
        ttlSeconds: 60,
      });
      deps.clock.current = 10_000;
      expect(await deliverReply(reply, { receiveCount: 2 }, deps)).toEqual({
        kind: "unknown-outcome",
      });
      expect(deps.replies.items.get(replySk(reply.planId, 0))?.status).toBe("UNKNOWN");
      expect(deps.vendor.calls).toHaveLength(0);
    });
  });

  describe("failures", () => {
    it("does not retry a message the vendor refuses for good, and records why", async () => {
      const deps = memoryDeliveryDeps({}, 0);
      const reply = aReply();
      deps.vendor.answer({
        kind: "permanent",
        code: "message-limit",
        reason: "Message limit reached",
        status: 400,
      });
      const result = await deliverReply(reply, first, deps);
      expect(result).toEqual({ kind: "failed", reason: "Message limit reached" });
      expect(isAcknowledged(result)).toBe(true);
      expect(deps.replies.items.get(replySk(reply.planId, 0))).toMatchObject({
        status: "FAILED",
        reason: "Message limit reached",
      });
      await deliverReply(reply, { receiveCount: 2 }, deps);
      expect(deps.vendor.calls).toHaveLength(1);
    });

    it("retries a retryable failure with backoff and then sends once", async () => {
      const deps = memoryDeliveryDeps({ retryBaseSeconds: 2 }, 0);
      const reply = aReply();
      deps.vendor.answer({ kind: "retryable", reason: "HTTP 500", status: 500 });
      const result = await deliverReply(reply, first, deps);
      expect(result).toMatchObject({ kind: "retry", delaySeconds: 2 });
      expect(isAcknowledged(result)).toBe(false);
      expect(deps.replies.items.get(replySk(reply.planId, 0))?.status).toBe("RETRY");
      deps.clock.current += 2_000;
      expect((await deliverReply(reply, { receiveCount: 2 }, deps)).kind).toBe("sent");
      expect(deps.vendor.delivered).toHaveLength(1);
      expect(deps.replies.items.get(replySk(reply.planId, 0))?.attempts).toBe(2);
    });

    it("backs off longer on each attempt", async () => {
      const deps = memoryDeliveryDeps({ retryBaseSeconds: 2, maxSendAttempts: 10 }, 0);
      deps.vendor.decide = () => ({ kind: "retryable", reason: "HTTP 503" });
      const delays: number[] = [];
      for (let attempt = 1; attempt <= 4; attempt++) {
        const result = await deliverReply(aReply(), { receiveCount: attempt }, deps);
        if (result.kind === "retry") delays.push(result.delaySeconds);
      }
      expect(delays).toEqual([2, 3, 6, 12]);
    });

    it("honours the vendor's Retry-After", async () => {
      const deps = memoryDeliveryDeps({}, 0);
      deps.vendor.answer({
        kind: "retryable",
        reason: "HTTP 429",
        status: 429,
        retryAfterSeconds: 30,
      });
      expect(await deliverReply(aReply(), first, deps)).toMatchObject({
        kind: "retry",
        delaySeconds: 30,
      });
    });

    it("gives up on the last attempt, so the message goes to the DLQ", async () => {
      const deps = memoryDeliveryDeps({ maxSendAttempts: 3 }, 0);
      const reply = aReply();
      deps.vendor.answer({ kind: "retryable", reason: "HTTP 500" });
      const result = await deliverReply(reply, { receiveCount: 3 }, deps);
      expect(result.kind).toBe("gave-up");
      expect(isAcknowledged(result)).toBe(false);
      expect(deps.replies.items.get(replySk(reply.planId, 0))?.status).toBe("GAVE_UP");
    });

    it("sends a given-up reply when an operator redrives it from the DLQ", async () => {
      const deps = memoryDeliveryDeps({ maxSendAttempts: 1 }, 0);
      const reply = aReply();
      deps.vendor.answer({ kind: "retryable", reason: "HTTP 500" });
      await deliverReply(reply, first, deps);
      expect((await deliverReply(reply, first, deps)).kind).toBe("sent");
    });

    it("releases the claim when the vendor could not even be called", async () => {
      const deps = memoryDeliveryDeps({}, 0);
      const reply = aReply();
      deps.vendor.answer(new Error("secret unavailable"));
      await expect(deliverReply(reply, first, deps)).rejects.toThrow("secret unavailable");
      expect(deps.replies.items.get(replySk(reply.planId, 0))?.status).toBe("RETRY");
      expect((await deliverReply(reply, { receiveCount: 2 }, deps)).kind).toBe("sent");
    });
  });

  describe("the contact decides last", () => {
    const contactWith = async (
      deps: ReturnType<typeof memoryDeliveryDeps>,
      reply: ScheduledReply,
      state: Record<string, unknown>,
    ) => {
      await deps.contacts.claimMessage({
        phone: reply.phone,
        key: "k",
        at: 0,
        acceptedAt: 0,
        planId: reply.planId,
        intent: null,
        now: 0,
      });
      Object.assign(deps.contacts.contacts.get(reply.phone) ?? {}, state);
    };

    it("cancels a reply whose plan a newer customer message superseded", async () => {
      const deps = memoryDeliveryDeps({}, 0);
      const reply = aReply({ planAt: 0 });
      await contactWith(deps, reply, { planId: "plan_newer" });
      expect(await deliverReply(reply, first, deps)).toEqual({
        kind: "cancelled",
        reason: "superseded",
      });
      expect(deps.vendor.calls).toHaveLength(0);
      expect(deps.replies.items.get(replySk(reply.planId, 0))).toMatchObject({
        status: "CANCELLED",
        cancelReason: "superseded",
      });
    });

    it("sends a keep reply although a newer message came", async () => {
      const deps = memoryDeliveryDeps({}, 0);
      const reply = aReply({ planAt: 0, keep: true });
      await contactWith(deps, reply, { planId: "plan_newer" });
      expect((await deliverReply(reply, first, deps)).kind).toBe("sent");
    });

    it("cancels even a keep reply while a person at the business has taken over", async () => {
      const deps = memoryDeliveryDeps({}, 0);
      const reply = aReply({ planAt: 0, keep: true });
      await contactWith(deps, reply, {
        pausedUntil: 60_000,
        pauseReason: "human",
        cancelBefore: 0,
        cancelReason: "human",
      });
      expect(await deliverReply(reply, first, deps)).toEqual({
        kind: "cancelled",
        reason: "human",
      });
    });

    it("cancels a reply of an opted-out contact but sends the one confirmation", async () => {
      const deps = memoryDeliveryDeps({}, 0);
      const reply = aReply({ planAt: 0 });
      await contactWith(deps, reply, { optedOut: true, optedOutAt: 0, optOutPlanId: "plan_stop" });
      expect(await deliverReply(reply, first, deps)).toEqual({
        kind: "cancelled",
        reason: "opt-out",
      });
      const confirmation = aReply({ planId: "plan_stop", planAt: 0 });
      await contactWith(deps, confirmation, {
        optedOut: true,
        optOutPlanId: "plan_stop",
        planId: "plan_stop",
      });
      expect((await deliverReply(confirmation, first, deps)).kind).toBe("sent");
    });

    it("sends a cancelled reply's redelivered copy never", async () => {
      const deps = memoryDeliveryDeps({}, 0);
      const reply = aReply({ planAt: 0 });
      await contactWith(deps, reply, { planId: "plan_newer" });
      await deliverReply(reply, first, deps);
      await contactWith(deps, reply, {});
      expect(await deliverReply(reply, { receiveCount: 2 }, deps)).toEqual({
        kind: "already-done",
        status: "CANCELLED",
      });
    });
  });

  describe("order", () => {
    const plan = (seq: number, dueAt = 0) =>
      aReply({ planId: "plan_order", seq, total: 3, text: `m${seq}`, dueAt });

    it("holds a reply back until its predecessor is finished, re-enqueuing it", async () => {
      const deps = memoryDeliveryDeps({ orderWaitInProcessMs: 3000 }, 0);
      const result = await deliverReply(plan(1), first, deps);
      expect(result).toEqual({ kind: "order-wait", delaySeconds: 1 });
      expect(deps.vendor.calls).toHaveLength(0);
      expect(deps.repliesQueue.sent.map((s) => s.body.seq)).toEqual([1]);
    });

    it("sends as soon as the predecessor finishes while it waits", async () => {
      const deps = memoryDeliveryDeps({ orderPollMs: 100 }, 0);
      const replies = deps.replies;
      const get = replies.get.bind(replies);
      const r0 = plan(0);
      replies.get = async (ref) => {
        const { planId, seq } = ref;
        if (seq === 0 && deps.clock.now() >= 500 && !replies.items.has(replySk(planId, 0))) {
          await replies.claim({
            phone: r0.phone,
            reply: r0,
            planId,
            seq: 0,
            owner: "w0",
            now: 0,
            leaseMs: 10_000,
            ttlSeconds: 60,
          });
          await replies.markSent({
            phone: r0.phone,
            planId,
            seq: 0,
            owner: "w0",
            sentAt: deps.clock.now(),
          });
        }
        return get(ref);
      };
      expect((await deliverReply(plan(1), first, deps)).kind).toBe("sent");
      expect(deps.vendor.delivered.map((d) => d.at)).toEqual([500]);
    });

    it.each(["SENT", "FAILED", "UNKNOWN", "GAVE_UP", "CANCELLED"] as const)(
      "lets a reply go after a %s predecessor",
      async (status) => {
        const deps = memoryDeliveryDeps({}, 0);
        await deps.replies.claim({
          phone: plan(0).phone,
          reply: plan(0),
          planId: "plan_order",
          seq: 0,
          owner: "w",
          now: 0,
          leaseMs: 1,
          ttlSeconds: 60,
        });
        const item = deps.replies.items.get(replySk("plan_order", 0));
        if (item) item.status = status;
        expect((await deliverReply(plan(1), first, deps)).kind).toBe("sent");
      },
    );

    it("stops waiting in-process at the invocation's wait deadline", async () => {
      const deps = memoryDeliveryDeps({ orderWaitInProcessMs: 3000 }, 0);
      const result = await deliverReply(plan(1), { receiveCount: 1, waitUntil: 0 }, deps);
      expect(result.kind).toBe("order-wait");
      expect(deps.clock.now()).toBe(0);
    });

    it("gives up on a predecessor that never finished after the order-wait limit", async () => {
      const deps = memoryDeliveryDeps({}, ORDER_WAIT_LIMIT_MS + 1);
      expect((await deliverReply(plan(1, 0), first, deps)).kind).toBe("sent");
    });

    describe("past the order-wait limit", () => {
      const now = ORDER_WAIT_LIMIT_MS + 60_000;
      const written = now - 300_000;
      const writeItem = async (deps: ReturnType<typeof memoryDeliveryDeps>, seq: number) => {
        const ref = { ...plan(seq), owner: "w", leaseMs: 10_000, ttlSeconds: 60 };
        await deps.replies.claim({ ...ref, reply: plan(seq), now: written });
        return ref;
      };

      it("keeps waiting while the predecessor is still being retried", async () => {
        // A stack may allow up to 1000 attempts (maxReceiveCount), so a vendor outage can keep a
        // reply retrying for longer than the limit: its successor must not overtake it.
        const deps = memoryDeliveryDeps({}, now);
        const ref = await writeItem(deps, 0);
        await deps.replies.finish({ ...ref, now: written, status: "RETRY", reason: "HTTP 500" });
        expect((await deliverReply(plan(1), first, deps)).kind).toBe("order-wait");
        expect(deps.vendor.calls).toHaveLength(0);
      });

      it("keeps waiting while the predecessor waits for a reply still being retried", async () => {
        const deps = memoryDeliveryDeps({}, now);
        const ref = await writeItem(deps, 0);
        await deps.replies.finish({ ...ref, now: written, status: "RETRY", reason: "HTTP 500" });
        expect((await deliverReply(plan(2), first, deps)).kind).toBe("order-wait");
      });

      it("keeps waiting for a predecessor whose own predecessor has just been sent", async () => {
        const deps = memoryDeliveryDeps({}, now);
        const ref = await writeItem(deps, 0);
        await deps.replies.markSent({ ...ref, sentAt: written });
        expect((await deliverReply(plan(2), first, deps)).kind).toBe("order-wait");
      });
    });
  });

  describe("under a simulated queue (property)", () => {
    it("sends every reply of every plan exactly once, in order, never early", async () => {
      await fc.assert(
        fc.asyncProperty(
          // 900 s hops with delays up to 7 days, or tiny hops (chaining) with delays of a few hops.
          fc.oneof(
            fc.record({
              maxHop: fc.constant(900),
              plans: fc.array(
                fc.array(fc.integer({ min: 0, max: 7 * 24 * 3600 * 1000 }), {
                  minLength: 1,
                  maxLength: 4,
                }),
                { minLength: 1, maxLength: 3 },
              ),
            }),
            fc.record({
              maxHop: fc.integer({ min: 1, max: 3 }),
              plans: fc.array(
                fc.array(fc.integer({ min: 0, max: 20_000 }), { minLength: 1, maxLength: 4 }),
                {
                  minLength: 1,
                  maxLength: 3,
                },
              ),
            }),
          ),
          fc.array(fc.boolean(), { minLength: 1, maxLength: 20 }),
          fc.array(fc.integer({ min: 0, max: 1500 }), { minLength: 1, maxLength: 20 }),
          async ({ plans, maxHop }, failures, latenesses) => {
            const deps = memoryDeliveryDeps({ maxHopSeconds: maxHop, maxSendAttempts: 100 }, 0);
            // Each delivery fails with 500 when its failure flag says so (cycling), at most twice in a row.
            let call = 0;
            let streak = 0;
            deps.vendor.decide = () => {
              const fail = failures[call++ % failures.length] && streak < 2;
              streak = fail ? streak + 1 : 0;
              return fail
                ? { kind: "retryable", reason: "HTTP 500", status: 500 }
                : { kind: "sent", status: 200 };
            };
            const queue: InFlight[] = [];
            plans.forEach((delays, p) => {
              const sorted = [...delays].sort((a, b) => a - b);
              sorted.forEach((delay, seq) => {
                const reply = aReply({
                  planId: `plan_${p}`,
                  seq,
                  total: sorted.length,
                  text: `p${p}m${seq}`,
                  dueAt: delay,
                });
                // The responder's enqueue, plus a duplicate copy of every first message (redelivered job).
                queue.push({ reply, visibleAt: Math.min(delay, maxHop * 1000), receiveCount: 0 });
                if (seq === 0) queue.push({ reply, visibleAt: 0, receiveCount: 0 });
              });
            });
            await drainSimulatedQueue(queue, deps, latenesses);
            const delivered = deps.vendor.delivered;
            const total = plans.reduce((n, d) => n + d.length, 0);
            expect(delivered).toHaveLength(total);
            expect(new Set(delivered.map((d) => d.text)).size).toBe(total);
            plans.forEach((delays, p) => {
              const texts = delivered.filter((d) => d.text.startsWith(`p${p}m`)).map((d) => d.text);
              expect(texts).toEqual(delays.map((_, seq) => `p${p}m${seq}`));
            });
            for (const d of delivered) {
              const [, p, seq] = /^p(\d+)m(\d+)$/.exec(d.text) ?? [];
              const dueAt = [...(plans[Number(p)] ?? [])].sort((a, b) => a - b)[Number(seq)] ?? 0;
              expect(d.at).toBeGreaterThanOrEqual(dueAt);
            }
          },
        ),
        { numRuns: 60 },
      );
    });
  });
});

function item(overrides: Partial<ReplyItem>): ReplyItem {
  return {
    pk: "PHONE#14155552671",
    sk: replySk("p", 0),
    phone: "14155552671",
    planId: "p",
    seq: 0,
    status: "SENDING",
    attempts: 1,
    updatedAt: 0,
    expiresAt: 0,
    ...overrides,
  };
}

describe("assessReplyItem", () => {
  it("lets a worker claim a reply nobody has touched", () => {
    expect(assessReplyItem(undefined, 0)).toEqual({ kind: "claimable" });
  });

  it("lets a worker claim a reply released for retry", () => {
    expect(assessReplyItem(item({ status: "RETRY" }), 0).kind).toBe("claimable");
  });

  it("lets a DLQ redrive claim a reply that was given up on", () => {
    expect(assessReplyItem(item({ status: "GAVE_UP" }), 0).kind).toBe("claimable");
  });

  it.each(["SENT", "FAILED", "UNKNOWN"] as const)("never sends a %s reply again", (status) => {
    expect(assessReplyItem(item({ status }), 0).kind).toBe("done");
  });

  it("waits for a live claim", () => {
    expect(assessReplyItem(item({ leaseUntil: 5000 }), 1000)).toEqual({
      kind: "busy",
      retryInMs: 4000,
    });
  });

  it("treats an expired claim as a worker that died mid-call", () => {
    expect(assessReplyItem(item({ leaseUntil: 5000 }), 5000).kind).toBe("abandoned");
  });
});
