import { createHash } from "node:crypto";
import { conversationItemsFromWebhook } from "./conversationLog.js";
import { maskPhone, ReplyPlanError } from "./errors.js";
import type { NormalizedWebhook, ScheduledReply, WebhookJob } from "./messages.js";
import type { Clock, ConversationLogStore, Logger, MessageQueue } from "./ports.js";
import {
  MAX_REPLY_DELAY_MS,
  MAX_TEXT_LENGTH,
  type ReplyPlanMessage,
  type ReplyPolicy,
} from "./replyRules.js";
import { enqueueDelaySeconds } from "./schedule.js";

/**
 * The responder's work on one job: log the conversation, ask the policy, schedule the plan.
 * Every effect comes in through `deps`; enqueue delays are computed from the clock at the moment
 * of each send.
 */

export interface RespondDeps {
  conversationLog: ConversationLogStore;
  repliesQueue: MessageQueue;
  policy: ReplyPolicy;
  clock: Clock;
  logger: Logger;
  settings: { maxHopSeconds: number; ttlSeconds: number };
}

export interface RespondResult {
  /** Conversation items written (existing ones are rewritten unchanged). */
  logged: number;
  /** Replies enqueued. */
  planned: number;
  planId?: string;
}

/**
 * Handles one webhook job. Safe to repeat: items and the plan id derive from the job, so a
 * redelivered job rewrites the same items and re-enqueues replies the sender will recognise.
 */
export async function respondToJob(job: WebhookJob, deps: RespondDeps): Promise<RespondResult> {
  const { webhook, acceptedAt } = job;
  const { settings, logger } = deps;
  const items = conversationItemsFromWebhook(webhook, {
    acceptedAt,
    ttlSeconds: settings.ttlSeconds,
  });
  await deps.conversationLog.append(items);

  const fields = { jobKey: job.key, phone: maskPhone(webhook.phone), logged: items.length };
  if (!shouldReply(webhook)) {
    logger.info("outgoing message logged; no reply", fields);
    return { logged: items.length, planned: 0 };
  }

  const plan = buildReplyPlan(job, await deps.policy({ webhook, acceptedAt }));
  // In seq order, one at a time: if any send fails the job is retried, and a reply is never on the
  // queue without its predecessors (which it would wait for).
  for (const reply of plan) {
    await deps.repliesQueue.send(reply, {
      delaySeconds: enqueueDelaySeconds(deps.clock.now(), reply.dueAt, settings.maxHopSeconds),
    });
  }
  logger.info(plan.length ? "reply plan scheduled" : "no rule matched; no reply", {
    ...fields,
    planId: plan[0]?.planId,
    planned: plan.length,
    lastDueInMs: plan.length ? (plan.at(-1)?.dueAt ?? 0) - deps.clock.now() : undefined,
  });
  return { logged: items.length, planned: plan.length, planId: plan[0]?.planId };
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

function checkMessage(message: ReplyPlanMessage, index: number, previousDelay: number): void {
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
}

/**
 * Turns a policy's messages into the scheduled replies of one job: seq in plan order,
 * dueAt = acceptedAt + delayMs.
 *
 * @throws ReplyPlanError when a message is blank, too long, or out of order.
 */
export function buildReplyPlan(
  job: WebhookJob,
  messages: readonly ReplyPlanMessage[],
): ScheduledReply[] {
  const planId = planIdFor(job.key);
  let previousDelay = 0;
  return messages.map((message, seq) => {
    checkMessage(message, seq, previousDelay);
    previousDelay = message.delayMs;
    const reply: ScheduledReply = {
      kind: "scheduled-reply",
      version: 1,
      planId,
      seq,
      total: messages.length,
      phone: job.webhook.phone,
      userId: job.webhook.userId,
      text: message.text,
      dueAt: job.acceptedAt + message.delayMs,
    };
    if (message.attachment) reply.attachment = message.attachment;
    if (message.filename) reply.filename = message.filename;
    return reply;
  });
}
