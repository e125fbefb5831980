import { type ConversationLogStore, conversationItemsFromWebhook } from "./conversationLog.js";
import type { WebhookJob } from "./messages.js";
import type { Logger, MessageQueue } from "./ports.js";
import { maskPhone } from "./redact.js";
import { buildReplyPlan, shouldReply } from "./replyPlan.js";
import type { ReplyPolicy } from "./replyRules.js";
import { enqueueDelaySeconds } from "./schedule.js";

/**
 * The responder's work on one job: log the conversation, ask the policy, schedule the plan.
 * Every effect comes in through `deps`; the clock is a function so enqueue delays are computed at
 * the moment of each send.
 */

export interface RespondDeps {
  conversationLog: ConversationLogStore;
  repliesQueue: MessageQueue;
  policy: ReplyPolicy;
  now(): number;
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
      delaySeconds: enqueueDelaySeconds(deps.now(), reply.dueAt, settings.maxHopSeconds),
    });
  }
  logger.info(plan.length ? "reply plan scheduled" : "no rule matched; no reply", {
    ...fields,
    planId: plan[0]?.planId,
    planned: plan.length,
    lastDueInMs: plan.length ? (plan.at(-1)?.dueAt ?? 0) - deps.now() : undefined,
  });
  return { logged: items.length, planned: plan.length, planId: plan[0]?.planId };
}
