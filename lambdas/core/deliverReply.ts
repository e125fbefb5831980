import { type CancelReason, replyVerdict } from "./conversation.js";
import type { ScheduledReply } from "./messages.js";
import { maskPhone } from "./phone.js";
import type {
  Clock,
  ContactStore,
  Logger,
  MessageQueue,
  ReplyRef,
  ReplyStore,
  VendorSender,
} from "./ports.js";
import { CLAIMABLE_STATUSES, isFinished, type ReplyItem } from "./replyItem.js";
import {
  nextTimingStep,
  orderWaitDelaySeconds,
  orderWaitExpired,
  retryDelaySeconds,
} from "./schedule.js";

/**
 * The sender's work on one replies-queue message: hop closer to the due time, or wait the last
 * sub-second, keep the plan's order, check the contact (a newer message, a human takeover, an
 * opt-out cancel the reply), then send once under a claim on the reply's item. Pure orchestration:
 * every effect (and the clock) comes in through `deps`, so tests can run it on a simulated clock.
 */

export interface DeliverySettings {
  /** Longest SQS hop (MAX_SQS_DELAY_SECONDS). */
  maxHopSeconds: number;
  /** Attempts (receives of this message) before giving up to the DLQ (MAX_SEND_ATTEMPTS). */
  maxSendAttempts: number;
  /** First retry backoff in seconds (RETRY_BASE_SECONDS). */
  retryBaseSeconds: number;
  /** How long a SENDING claim is honoured: longer than one vendor call can take. */
  leaseMs: number;
  /** Reply-item retention (DynamoDB TTL). */
  ttlSeconds: number;
  /** Poll interval while the predecessor is being sent. */
  orderPollMs: number;
  /** Longest in-process wait for the predecessor before re-enqueuing. */
  orderWaitInProcessMs: number;
}

export interface DeliveryDeps {
  replies: ReplyStore;
  vendor: VendorSender;
  /** The contact's state, read (strongly consistent) right before the claim. */
  contacts: Pick<ContactStore, "getContact">;
  /** The replies queue itself: hops and order waits put the reply back on it. */
  repliesQueue: MessageQueue;
  clock: Clock;
  logger: Logger;
  /** A fresh random claim-owner token. */
  newOwner(): string;
  /** Uniform in [0, 1), for backoff jitter. */
  random(): number;
  settings: DeliverySettings;
}

/** What happened; the handler turns it into an ack or a retry. */
export type DeliveryResult =
  | { kind: "hopped"; delaySeconds: number }
  | { kind: "order-wait"; delaySeconds: number }
  | { kind: "sent"; sentAt: number }
  /** The contact's state cancelled it (core/conversation.ts replyVerdict); nothing was sent. */
  | { kind: "cancelled"; reason: CancelReason }
  | { kind: "already-done"; status: string }
  | { kind: "failed"; reason: string }
  | { kind: "unknown-outcome" }
  /** Fail the record and let it come back after delaySeconds. */
  | { kind: "retry"; delaySeconds: number; reason: string }
  /** Last attempt failed: fail the record so SQS moves it to the DLQ. */
  | { kind: "gave-up"; delaySeconds: number; reason: string };

/** Results after which the queue message is deleted. */
export function isAcknowledged(result: DeliveryResult): boolean {
  return result.kind !== "retry" && result.kind !== "gave-up";
}

export interface DeliveryAttempt {
  /** ApproximateReceiveCount of this queue message (1 on first delivery). */
  receiveCount: number;
  /**
   * Epoch ms after which no more in-process waiting may start (the invocation must still have
   * time for the vendor call); the reply is re-enqueued instead.
   */
  waitUntil?: number;
}

function replyFields(reply: ScheduledReply) {
  return {
    planId: reply.planId,
    seq: reply.seq,
    total: reply.total,
    phone: maskPhone(reply.phone),
  };
}

function refOf(reply: ScheduledReply): ReplyRef {
  return { phone: reply.phone, planId: reply.planId, seq: reply.seq };
}

/** A reply that is already finished (its item is the conversation's record of it): ack. */
function finishedAlready(
  reply: ScheduledReply,
  status: string,
  deps: DeliveryDeps,
): DeliveryResult {
  deps.logger.info("reply already handled; not sending again", { ...replyFields(reply), status });
  return { kind: "already-done", status };
}

/** Returns a result when the reply must not be sent now (a live claim, or a finished item). */
async function checkReplyItem(
  reply: ScheduledReply,
  deps: DeliveryDeps,
): Promise<DeliveryResult | undefined> {
  const { replies, clock, logger } = deps;
  const item = await replies.get(refOf(reply));
  const assessment = assessReplyItem(item, clock.now());
  switch (assessment.kind) {
    case "claimable":
      return undefined;
    case "done":
      return finishedAlready(reply, assessment.item.status, deps);
    case "busy":
      logger.info("reply is being sent by another worker; checking back later", replyFields(reply));
      return {
        kind: "retry",
        delaySeconds: Math.max(1, Math.ceil(assessment.retryInMs / 1000)),
        reason: "claimed by another worker",
      };
    case "abandoned": {
      const changed = await replies.markUnknown({
        ...refOf(reply),
        owner: assessment.item.owner ?? "",
        now: clock.now(),
      });
      if (!changed) return checkReplyItem(reply, deps);
      logger.error(
        "a sender died during the vendor call: delivery unknown, not resending (at most once)",
        { ...replyFields(reply), attempts: assessment.item.attempts },
      );
      return { kind: "unknown-outcome" };
    }
  }
}

/**
 * The latest write to the items of the replies before this one, back to the nearest finished one:
 * its predecessor's, and while that is unfinished, the one before it, and so on. A reply that waits
 * for its own predecessor has no item, so a retry further back, or one that has just finished
 * (its successor is at most one order wait from noticing), is what shows the plan is alive.
 * Undefined: none written.
 */
async function lastWriteBefore(
  reply: ScheduledReply,
  deps: DeliveryDeps,
): Promise<number | undefined> {
  let latest: number | undefined;
  for (let seq = reply.seq - 1; seq >= 0; seq -= 1) {
    const item = await deps.replies.get({ ...refOf(reply), seq });
    if (item) latest = Math.max(latest ?? item.updatedAt, item.updatedAt);
    if (isFinished(item)) break;
  }
  return latest;
}

/** Waits (briefly, in-process) until the predecessor is finished; a result means "not yet". */
async function awaitPredecessor(
  reply: ScheduledReply,
  attempt: DeliveryAttempt,
  deps: DeliveryDeps,
): Promise<DeliveryResult | undefined> {
  if (reply.seq === 0) return undefined;
  const { replies, clock, logger, repliesQueue, settings } = deps;
  const stopWaitingAt = Math.min(
    clock.now() + settings.orderWaitInProcessMs,
    attempt.waitUntil ?? Number.POSITIVE_INFINITY,
  );
  // Read once per receive, and only once the reply is past the limit itself: a plan found alive
  // stays so for far longer than this in-process wait.
  let lastWrite: Promise<number | undefined> | undefined;
  const planLastWrite = () => {
    lastWrite ??= lastWriteBefore(reply, deps);
    return lastWrite;
  };
  for (;;) {
    const predecessor = await replies.get({ ...refOf(reply), seq: reply.seq - 1 });
    if (isFinished(predecessor)) return undefined;
    const now = clock.now();
    if (
      orderWaitExpired(now, reply.dueAt) &&
      orderWaitExpired(now, reply.dueAt, await planLastWrite())
    ) {
      logger.error("predecessor never finished; sending without it", {
        ...replyFields(reply),
        predecessorStatus: predecessor?.status ?? "none",
      });
      return undefined;
    }
    if (now >= stopWaitingAt) {
      const delaySeconds = orderWaitDelaySeconds(now, reply.dueAt);
      await repliesQueue.send(reply, { delaySeconds });
      logger.info("waiting for the previous reply of the plan", {
        ...replyFields(reply),
        delaySeconds,
      });
      return { kind: "order-wait", delaySeconds };
    }
    await clock.sleep(settings.orderPollMs);
  }
}

/** Handles one replies-queue message. Throws only on infrastructure errors (the record is retried). */
export async function deliverReply(
  reply: ScheduledReply,
  attempt: DeliveryAttempt,
  deps: DeliveryDeps,
): Promise<DeliveryResult> {
  const { replies, vendor, clock, logger, settings } = deps;

  const step = nextTimingStep(clock.now(), reply.dueAt, settings.maxHopSeconds);
  if (step.kind === "hop") {
    await deps.repliesQueue.send(reply, { delaySeconds: step.delaySeconds });
    logger.debug("reply not due yet; hopped", {
      ...replyFields(reply),
      delaySeconds: step.delaySeconds,
    });
    return { kind: "hopped", delaySeconds: step.delaySeconds };
  }

  // No read of the reply item up front: the claim below is the check (one DynamoDB call on the
  // happy path); a duplicate copy merely waits its sub-second like the original before finding it.
  if (step.ms > 0) await clock.sleep(step.ms);
  const notYet = await awaitPredecessor(reply, attempt, deps);
  if (notYet) return notYet;

  // The contact decides last, right before the claim: a newer customer message, a person at the
  // business or a stop word since the plan was made cancel the reply. A message that lands between
  // this read and the vendor call is the race window docs/scheduling.md describes.
  const verdict = replyVerdict(reply, await deps.contacts.getContact(reply.phone), clock.now());
  if (!verdict.send) {
    const cancelled = await replies.cancel({
      ...refOf(reply),
      now: clock.now(),
      reason: verdict.reason,
      ttlSeconds: settings.ttlSeconds,
      reply,
    });
    if (!cancelled)
      return (
        (await checkReplyItem(reply, deps)) ?? {
          kind: "retry",
          delaySeconds: 1,
          reason: "cancel raced with another worker",
        }
      );
    logger.info("reply cancelled; not sending", { ...replyFields(reply), reason: verdict.reason });
    return { kind: "cancelled", reason: verdict.reason };
  }

  const owner = deps.newOwner();
  const claim = await replies.claim({
    ...refOf(reply),
    owner,
    now: clock.now(),
    leaseMs: settings.leaseMs,
    ttlSeconds: settings.ttlSeconds,
    reply,
  });
  if (!claim.claimed) {
    return (
      (await checkReplyItem(reply, deps)) ?? {
        kind: "retry",
        delaySeconds: 1,
        reason: "claim raced with another worker",
      }
    );
  }

  const keys = { ...refOf(reply), owner };
  let outcome: Awaited<ReturnType<VendorSender["send"]>>;
  try {
    outcome = await vendor.send({
      phone: reply.phone,
      text: reply.text,
      attachment: reply.attachment,
      filename: reply.filename,
    });
  } catch (error) {
    // The vendor was never called (e.g. the token could not be read): release the claim.
    await replies.finish({
      ...keys,
      now: clock.now(),
      status: "RETRY",
      reason: "send not attempted",
    });
    throw error;
  }

  const now = clock.now();
  if (outcome.kind === "sent") {
    const stillOurs = await replies.markSent({ ...keys, sentAt: now });
    if (!stillOurs) {
      logger.error(
        "claim expired during a successful send; marked SENT anyway",
        replyFields(reply),
      );
    }
    // One line per reply sent: the plan id finds the responder's line (and through its key
    // prefix the receiver's, with the masked phone); the attempt only when it was not the first.
    logger.info("reply sent", {
      planId: reply.planId,
      seq: reply.seq,
      latenessMs: now - reply.dueAt,
      ...(attempt.receiveCount > 1 ? { attempt: attempt.receiveCount } : {}),
    });
    return { kind: "sent", sentAt: now };
  }

  if (outcome.kind === "permanent") {
    await replies.finish({ ...keys, now, status: "FAILED", reason: outcome.reason });
    logger.warn("vendor refused the reply; not retrying", {
      ...replyFields(reply),
      code: outcome.code,
      status: outcome.status,
      reason: outcome.reason,
    });
    return { kind: "failed", reason: outcome.reason };
  }

  const delaySeconds = retryDelaySeconds(attempt.receiveCount, {
    baseSeconds: settings.retryBaseSeconds,
    random: deps.random(),
    retryAfterSeconds: outcome.retryAfterSeconds,
  });
  const lastAttempt = attempt.receiveCount >= settings.maxSendAttempts;
  await replies.finish({
    ...keys,
    now,
    status: lastAttempt ? "GAVE_UP" : "RETRY",
    reason: outcome.reason,
  });
  const fields = {
    ...replyFields(reply),
    attempt: attempt.receiveCount,
    status: outcome.status,
    reason: outcome.reason,
    delaySeconds,
  };
  if (lastAttempt) {
    logger.error("send failed on the last attempt; moving the reply to the DLQ", fields);
    return { kind: "gave-up", delaySeconds, reason: outcome.reason };
  }
  logger.warn("send failed; retrying with backoff", fields);
  return { kind: "retry", delaySeconds, reason: outcome.reason };
}

// ── Reading a reply item ───────────────────────────────────────────────────────────────────────

/** What a worker holding a copy of a reply should do given the reply's item as stored. */
export type ReplyItemAssessment =
  /** No item, or a released one: claim it and send. */
  | { kind: "claimable" }
  /** Finished (SENT, FAILED, UNKNOWN, CANCELLED): acknowledge without sending. */
  | { kind: "done"; item: ReplyItem }
  /** Another worker is sending right now: look again after the lease. */
  | { kind: "busy"; retryInMs: number }
  /** A worker claimed it and died mid-call: the outcome is unknown. */
  | { kind: "abandoned"; item: ReplyItem };

export function assessReplyItem(item: ReplyItem | undefined, now: number): ReplyItemAssessment {
  if (!item || CLAIMABLE_STATUSES.includes(item.status)) return { kind: "claimable" };
  if (item.status === "SENDING") {
    const leaseUntil = item.leaseUntil ?? 0;
    return leaseUntil > now
      ? { kind: "busy", retryInMs: leaseUntil - now }
      : { kind: "abandoned", item };
  }
  return { kind: "done", item };
}
