import { createHash } from "node:crypto";
import type { ScheduledReply, WebhookJob } from "./messages.js";
import { MAX_REPLY_DELAY_MS, MAX_TEXT_LENGTH, type ReplyPlanMessage } from "./replyRules.js";
import type { NormalizedWebhook } from "./webhook.js";

/** A policy answered with a plan that cannot be scheduled (a bug in a custom policy). */
export class ReplyPlanError extends Error {
  override name = "ReplyPlanError";
}

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
