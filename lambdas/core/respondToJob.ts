import { createHash } from "node:crypto";
import { conversationItemsFromWebhook, type PlanItem, planItem } from "./conversationLog.js";
import { errorFields, maskPhone, ReplyPlanError } from "./errors.js";
import type { NormalizedWebhook, ScheduledReply, WebhookJob } from "./messages.js";
import type { Clock, ConversationLogStore, Logger, MessageQueue, PlanStore } from "./ports.js";
import { ReplyPolicyUnavailableError } from "./replyPolicy.js";
import {
  MAX_REPLY_DELAY_MS,
  MAX_TEXT_LENGTH,
  type ReplyPlanMessage,
  type ReplyPolicy,
} from "./replyRules.js";
import { enqueueDelaySeconds, retryDelaySeconds } from "./schedule.js";

/**
 * The responder's work on one job: log the conversation, find or make the plan, schedule it.
 *
 *   1. log        the webhook's messages (idempotent: keys derive from the messages)
 *   2. plan       the stored PLAN item of this job (a redelivery, a crash resume, a second copy
 *                 of the job), else the policy's answer, checked and stored BEFORE any reply is
 *                 queued: the policy (rules, or a business's HTTP endpoint) is asked once per job
 *   3. enqueue    each reply of the plan; the sender's markers dedupe a second copy
 *
 * A policy that is unavailable (timeout, network, 408/429/5xx) is a normal outcome, returned as
 * "come back later" with a backoff; every effect comes in through `deps`, delays are computed
 * from the clock at the moment of each send.
 */

export interface RespondSettings {
  maxHopSeconds: number;
  ttlSeconds: number;
  /** First backoff after an unavailable policy, doubling per attempt (schedule.retryDelaySeconds). */
  policyRetryBaseSeconds: number;
  /** The jobs queue's maxReceiveCount: the attempt that may not come back. */
  maxAttempts: number;
}

export interface RespondDeps {
  conversationLog: ConversationLogStore;
  plans: PlanStore;
  repliesQueue: MessageQueue;
  policy: ReplyPolicy;
  clock: Clock;
  logger: Logger;
  /** Uniform in [0, 1), for backoff jitter; default 0.5 (no jitter). */
  random?: () => number;
  settings: RespondSettings;
}

/** Which delivery of the job this is. */
export interface JobAttempt {
  /** SQS ApproximateReceiveCount (1 on the first delivery). */
  receiveCount: number;
}

export type RespondResult =
  | {
      outcome: "done";
      /** Conversation items written (existing ones are rewritten unchanged). */
      logged: number;
      /** Replies enqueued. */
      planned: number;
      planId?: string;
      /** The plan came from the PLAN item (a job seen before), not from the policy. */
      reusedPlan?: boolean;
    }
  | {
      /** The policy was unavailable: the job comes back after `afterSeconds`. */
      outcome: "retry";
      afterSeconds: number;
      reason: string;
      /** No attempt is left: the queue moves the job to its DLQ instead of redelivering it. */
      lastAttempt: boolean;
    };

/**
 * Handles one webhook job. Safe to repeat: items and the plan id derive from the job, and a
 * stored plan is reused, so a redelivered job re-enqueues the same replies for the sender to
 * recognise.
 *
 * @throws ReplyPlanError when a policy's plan cannot be scheduled; ReplyPolicyAnswerError when
 *   an HTTP policy answered something unusable (naming the field).
 */
export async function respondToJob(
  job: WebhookJob,
  deps: RespondDeps,
  attempt: JobAttempt = { receiveCount: 1 },
): Promise<RespondResult> {
  const { webhook, acceptedAt } = job;
  const { settings, logger, clock } = deps;
  const items = conversationItemsFromWebhook(webhook, {
    acceptedAt,
    ttlSeconds: settings.ttlSeconds,
  });
  await deps.conversationLog.append(items);

  const fields = { jobKey: job.key, phone: maskPhone(webhook.phone), logged: items.length };
  if (!shouldReply(webhook)) {
    logger.info("outgoing message logged; no reply", fields);
    return { outcome: "done", logged: items.length, planned: 0 };
  }

  const planId = planIdFor(job.key);
  let plan = await deps.plans.get(webhook.phone, planId);
  const reusedPlan = plan !== undefined;
  if (!plan) {
    let messages: ReplyPlanMessage[];
    try {
      messages = await deps.policy({ webhook, acceptedAt, jobKey: job.key });
    } catch (error) {
      if (!(error instanceof ReplyPolicyUnavailableError)) throw error;
      return policyUnavailable(error, attempt, deps, { ...fields, planId });
    }
    checkMessages(messages);
    // Stored before anything is queued: from here on, this job's answer is this plan.
    plan = await deps.plans.create(
      planItem({
        planId,
        webhook,
        messageKey: job.key,
        planAt: webhook.userLastMessageTimeMs ?? acceptedAt,
        acceptedAt,
        keep: false,
        source: "policy",
        messages,
        now: clock.now(),
        ttlSeconds: settings.ttlSeconds,
      }),
    );
  }

  const replies = repliesOf(plan);
  // In seq order, one at a time: if any send fails the job is retried, and a reply is never on the
  // queue without its predecessors (which it would wait for).
  for (const reply of replies) {
    await deps.repliesQueue.send(reply, {
      delaySeconds: enqueueDelaySeconds(clock.now(), reply.dueAt, settings.maxHopSeconds),
    });
  }
  const message = !replies.length
    ? "no reply planned"
    : reusedPlan
      ? "stored reply plan queued again"
      : "reply plan scheduled";
  logger.info(message, {
    ...fields,
    planId,
    planned: replies.length,
    reusedPlan,
    lastDueInMs: replies.length ? (replies.at(-1)?.dueAt ?? 0) - clock.now() : undefined,
  });
  return { outcome: "done", logged: items.length, planned: replies.length, planId, reusedPlan };
}

/** Backoff for an unavailable policy, and the log line that says what happens next. */
function policyUnavailable(
  error: ReplyPolicyUnavailableError,
  attempt: JobAttempt,
  deps: RespondDeps,
  fields: Record<string, unknown>,
): RespondResult {
  const { settings, logger } = deps;
  const lastAttempt = attempt.receiveCount >= settings.maxAttempts;
  // After the last attempt there is nothing to wait for: the next receive moves it to the DLQ.
  const afterSeconds = lastAttempt
    ? 0
    : retryDelaySeconds(attempt.receiveCount, {
        baseSeconds: settings.policyRetryBaseSeconds,
        random: deps.random?.() ?? 0.5,
        retryAfterSeconds: error.retryAfterSeconds,
      });
  const logFields = {
    ...fields,
    attempt: attempt.receiveCount,
    maxAttempts: settings.maxAttempts,
    status: error.status,
    ...errorFields(error),
  };
  if (lastAttempt) {
    logger.error(
      "reply policy unavailable on the last attempt; the job goes to the DLQ",
      logFields,
    );
  } else {
    logger.warn("reply policy unavailable; retrying with backoff", {
      ...logFields,
      afterSeconds,
    });
  }
  return { outcome: "retry", afterSeconds, reason: error.message, lastAttempt };
}

/** The scheduled replies of a stored plan. */
export function repliesOf(plan: PlanItem): ScheduledReply[] {
  return plan.messages.map((message) => {
    const reply: ScheduledReply = {
      kind: "scheduled-reply",
      version: 1,
      planId: plan.planId,
      seq: message.seq,
      total: plan.messages.length,
      phone: plan.phone,
      userId: plan.userId,
      text: message.text,
      dueAt: message.dueAt,
    };
    if (message.attachment) reply.attachment = message.attachment;
    if (message.filename) reply.filename = message.filename;
    return reply;
  });
}

// ── The reply plan ─────────────────────────────────────────────────────────────────────────────

/**
 * The plan id of a job: a hash of the job's idempotency key, so a redelivered or duplicated job
 * yields the same id, and with it the same sent-markers (planId#seq).
 */
export function planIdFor(jobKey: string): string {
  return `plan_${createHash("sha256").update(jobKey).digest("hex").slice(0, 32)}`;
}

/** Replies go only to what a customer sent; the business's own outgoing messages get none. */
export function shouldReply(webhook: NormalizedWebhook): boolean {
  return webhook.incomingMessage !== false;
}

/**
 * Checks a policy's messages: non-blank, not too long, delays in range and in order.
 * @throws ReplyPlanError naming the message.
 */
export function checkMessages(messages: readonly ReplyPlanMessage[]): void {
  let previousDelay = 0;
  messages.forEach((message, index) => {
    const where = `reply plan message ${index}`;
    if (typeof message.text !== "string" || message.text.trim() === "") {
      throw new ReplyPlanError(`${where}: text must be a non-blank string`);
    }
    if (message.text.length > MAX_TEXT_LENGTH) {
      throw new ReplyPlanError(`${where}: text is longer than ${MAX_TEXT_LENGTH} characters`);
    }
    const delay = message.delayMs;
    if (!Number.isInteger(delay) || delay < 0 || delay > MAX_REPLY_DELAY_MS) {
      throw new ReplyPlanError(
        `${where}: delayMs must be a whole number of ms in [0, ${MAX_REPLY_DELAY_MS}], got ${delay}`,
      );
    }
    if (delay < previousDelay) {
      throw new ReplyPlanError(
        `${where}: delayMs ${delay} is earlier than the message before it (${previousDelay}); plans are ordered`,
      );
    }
    previousDelay = delay;
  });
}
