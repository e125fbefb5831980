/**
 * Scheduling math for replies (pure: the clock is an argument). See docs/scheduling.md.
 *
 * A reply carries its absolute `dueAt`. SQS can hold a message back for whole seconds only, at
 * most 900 s (MAX_SQS_DELAY_SECONDS, lower in tests); so a reply hops through the replies queue in
 * whole-second steps that never overshoot (floor), and the last sub-second remainder is waited
 * in-process by the sender. Offsets like 0 / 2000 / 3500 ms therefore keep their spacing.
 */

/** Below this much remaining time the sender waits in-process instead of hopping through SQS. */
const IN_PROCESS_WAIT_THRESHOLD_MS = 1000;

/** The AWS hard limit on SQS DelaySeconds. */
export const SQS_MAX_DELAY_SECONDS = 900;

/**
 * How late a reply may get while waiting for its predecessor, and how long that predecessor must
 * have been left untouched, before it is given up on (orderWaitExpired).
 */
export const ORDER_WAIT_LIMIT_MS = 15 * 60 * 1000;

/** Longest backoff between send attempts (well inside SQS's 12 h visibility limit). */
const MAX_RETRY_DELAY_SECONDS = 300;

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/**
 * DelaySeconds for enqueuing a reply due at `dueAt`: the whole seconds left, never more than the
 * hop limit (a later hop covers the rest) and never rounding up past the due time.
 */
export function enqueueDelaySeconds(now: number, dueAt: number, maxHopSeconds: number): number {
  return clamp(Math.floor((dueAt - now) / 1000), 0, Math.min(maxHopSeconds, SQS_MAX_DELAY_SECONDS));
}

/**
 * How long before its due time a far reply's schedule puts it on the replies queue (EventBridge
 * Scheduler, at most MAX_SQS_DELAY_SECONDS): the final SQS hop then lands it on the second, so a
 * scheduler that fires up to this late still delivers on time (docs/scheduling.md, section 3a).
 */
export const SCHEDULE_LEAD_SECONDS = 300;

/** Where the responder puts a reply: straight on the replies queue, or in a one-time schedule. */
export type Placement =
  /** Due within one SQS hop (or no scheduler): the queue holds it back this long. */
  | { kind: "queue"; delaySeconds: number }
  /** Further: a schedule puts it on the queue at `fireAt` (epoch ms, whole seconds). */
  | { kind: "schedule"; fireAt: number };

/**
 * Queue or schedule. A reply further than one hop away (`maxHopSeconds`) goes to a schedule that
 * fires `min(SCHEDULE_LEAD_SECONDS, maxHopSeconds)` before it is due, rounded down to the second
 * (Scheduler's `at()` has whole seconds), so one final hop covers the rest and chaining is only
 * ever that last hop. `fireAt` depends on `dueAt` alone: a retried job names the same time.
 */
export function placeReply(
  now: number,
  dueAt: number,
  options: { maxHopSeconds: number; scheduler: boolean },
): Placement {
  const hopMs = Math.min(options.maxHopSeconds, SQS_MAX_DELAY_SECONDS) * 1000;
  if (!options.scheduler || dueAt - now <= hopMs) {
    return { kind: "queue", delaySeconds: enqueueDelaySeconds(now, dueAt, options.maxHopSeconds) };
  }
  const leadMs = Math.min(SCHEDULE_LEAD_SECONDS * 1000, hopMs);
  return { kind: "schedule", fireAt: Math.floor((dueAt - leadMs) / 1000) * 1000 };
}

/**
 * The schedule of one reply: `<planId>-<seq, 3 digits>` (Scheduler names are 1..64 of
 * [0-9a-zA-Z-_.]; a plan id is 37), the same for every copy of the job, so a retry meets the
 * schedule it made (ConflictException) instead of making a second.
 */
export function replyScheduleName(planId: string, seq: number): string {
  return `${planId}-${String(seq).padStart(3, "0")}`;
}

/** The reply a schedule of `replyScheduleName` holds; undefined for any other name. */
export function parseReplyScheduleName(name: string): { planId: string; seq: number } | undefined {
  const match = /^(plan_[0-9a-f]+)-(\d{3})$/.exec(name);
  return match ? { planId: match[1] as string, seq: Number(match[2]) } : undefined;
}

/** What the sender does with a reply it received, timing-wise. */
export type TimingStep =
  /** Still ≥ 1 s early: put it back on the queue with this delay and acknowledge. */
  | { kind: "hop"; delaySeconds: number }
  /** Due within a second (or overdue): wait `ms` (0 when overdue) in-process, then send. */
  | { kind: "wait"; ms: number };

/** Hop through SQS while at least a second early; otherwise wait out the remainder in-process. */
export function nextTimingStep(now: number, dueAt: number, maxHopSeconds: number): TimingStep {
  const remaining = dueAt - now;
  if (remaining >= IN_PROCESS_WAIT_THRESHOLD_MS) {
    return {
      kind: "hop",
      delaySeconds: Math.max(1, enqueueDelaySeconds(now, dueAt, maxHopSeconds)),
    };
  }
  return { kind: "wait", ms: Math.max(0, remaining) };
}

/** Number of SQS deliveries a reply `delayMs` away takes with hops of at most `maxHopSeconds`. */
export function hopCount(delayMs: number, maxHopSeconds: number): number {
  let now = 0;
  let hops = 1;
  for (;;) {
    const step = nextTimingStep(now, delayMs, maxHopSeconds);
    if (step.kind === "wait") return hops;
    now += step.delaySeconds * 1000;
    hops += 1;
  }
}

/**
 * Backoff before send attempt `attempt + 1` after `attempt` failed (attempt counts from 1):
 * exponential from `baseSeconds`, capped, with "equal jitter" (half fixed, half random) so retries
 * of a burst do not hit the vendor together. `random` is in [0, 1); `retryAfterSeconds` (from a
 * 429's Retry-After) is a floor.
 */
export function retryDelaySeconds(
  attempt: number,
  options: {
    baseSeconds: number;
    maxSeconds?: number;
    random?: number;
    retryAfterSeconds?: number;
  },
): number {
  const max = options.maxSeconds ?? MAX_RETRY_DELAY_SECONDS;
  const exponential = Math.min(max, options.baseSeconds * 2 ** Math.max(0, attempt - 1));
  const jittered = exponential / 2 + (exponential / 2) * (options.random ?? 0.5);
  const floor = options.retryAfterSeconds ?? 0;
  return clamp(Math.ceil(Math.max(jittered, floor)), 1, Math.max(1, max));
}

/**
 * Re-enqueue delay for a reply whose predecessor has not finished yet: short at first (the
 * predecessor is usually mid-send), growing with how late the reply already is.
 */
export function orderWaitDelaySeconds(now: number, dueAt: number): number {
  const lateSeconds = Math.max(0, (now - dueAt) / 1000);
  return clamp(Math.ceil(lateSeconds / 4), 1, 60);
}

/**
 * True once a reply has waited so long for its predecessor that the predecessor counts as lost:
 * the reply is `ORDER_WAIT_LIMIT_MS` past its due time and the replies before it have not been
 * written for as long (`lastWriteBefore`, epoch ms; absent: never). A reply still being retried is
 * written on every attempt, at most MAX_RETRY_DELAY_SECONDS apart, so neither it nor a reply
 * waiting behind it is overtaken, however many attempts the stack allows (maxReceiveCount goes up
 * to 1000): the plan goes out late, but in order.
 */
export function orderWaitExpired(now: number, dueAt: number, lastWriteBefore?: number): boolean {
  const quietSince = Math.max(dueAt, lastWriteBefore ?? Number.NEGATIVE_INFINITY);
  return now - quietSince > ORDER_WAIT_LIMIT_MS;
}
