import {
  type MessageClaim,
  messageRole,
  noPlanReason,
  type OptOutSettings,
  optOutIntent,
  phoneProblem,
  planIdFor,
  webhookMessage,
} from "./conversation.js";
import {
  type ConversationItem,
  messageItem,
  type NoReplyReason,
  type PlanItem,
  planItem,
} from "./conversationLog.js";
import { maskPhone, ReplyPlanError } from "./errors.js";
import type { ScheduledReply, WebhookJob } from "./messages.js";
import type { Clock, ContactStore, Logger, MessageQueue, PlanStore } from "./ports.js";
import {
  asDecision,
  MAX_REPLY_DELAY_MS,
  MAX_TEXT_LENGTH,
  type ReplyPlanMessage,
  type ReplyPolicy,
} from "./replyRules.js";
import { enqueueDelaySeconds } from "./schedule.js";

export { planIdFor } from "./conversation.js";

/**
 * The responder's work on one job (one webhook's message), in this order, each step safe to repeat:
 *
 *   1. phone check      a number that cannot be valid gets its MSG item (noReplyReason) and no reply
 *   2. outgoing         a person at the business → takeover (pause + cancel); anything else: logged
 *   3. claim            conditional UpdateItem on CONTACT: newest message? same (redelivery)? older?
 *   4. plan             the stored PLAN of a redelivered job, else the policy's answer stored first
 *   5. MSG item         this message, with its plan or why it got none
 *   6. enqueue          each reply of the plan; the sender's reply items dedupe a second copy
 *
 * docs/scheduling.md ("Plans and contacts") explains the states; every effect comes in via `deps`.
 */

export interface RespondSettings {
  maxHopSeconds: number;
  /** Retention of MSG and PLAN items (DynamoDB TTL). */
  ttlSeconds: number;
  /** Human takeover pause (HUMAN_PAUSE_SECONDS); 0 turns takeover off. */
  humanPauseSeconds: number;
  optOut: OptOutSettings;
}

export interface RespondDeps {
  contacts: ContactStore;
  plans: PlanStore;
  repliesQueue: MessageQueue;
  policy: ReplyPolicy;
  clock: Clock;
  logger: Logger;
  settings: RespondSettings;
}

export interface RespondResult {
  /** What the CONTACT claim found (absent when no claim was made: outgoing, invalid phone). */
  claim?: MessageClaim["kind"];
  /** Replies enqueued. */
  planned: number;
  planId?: string;
  noReplyReason?: NoReplyReason;
  /** The plan came from the PLAN item (a redelivered job), not from the policy. */
  reusedPlan?: boolean;
}

/** Handles one webhook job. Safe to repeat; see the steps above. */
export async function respondToJob(job: WebhookJob, deps: RespondDeps): Promise<RespondResult> {
  const { webhook, acceptedAt, key } = job;
  const { settings, logger, contacts, clock } = deps;
  const message = webhookMessage(webhook);
  // The vendor's time orders a contact's messages; without one, the time we accepted it.
  const at = message.timeMs ?? acceptedAt;
  const fields = { jobKey: key.slice(0, 12), phone: maskPhone(webhook.phone) };
  if (webhook.warnings.length) {
    logger.warn("informational fields of unexpected types ignored (kept raw)", {
      ...fields,
      warnings: webhook.warnings,
    });
  }
  const item = (extra: { planId?: string; noReplyReason?: NoReplyReason }): ConversationItem =>
    messageItem(webhook, message, { key, at, ttlSeconds: settings.ttlSeconds, ...extra });
  const noReply = async (reason: NoReplyReason, result: Partial<RespondResult> = {}) => {
    await contacts.putMessage(item({ noReplyReason: reason, planId: result.planId }));
    return { planned: 0, noReplyReason: reason, ...result };
  };

  const problem = phoneProblem(webhook.phone);
  if (problem) {
    logger.warn("phone number cannot be valid; acknowledged without a reply", {
      ...fields,
      reason: problem,
    });
    return noReply("invalid_phone");
  }

  const role = messageRole(webhook);
  if (role !== "customer") {
    if (role === "human" && settings.humanPauseSeconds > 0) {
      const until = at + settings.humanPauseSeconds * 1000;
      await contacts.takeOver({ phone: webhook.phone, at, until, now: clock.now() });
      logger.info("a person at the business wrote: automation paused, unsent replies cancelled", {
        ...fields,
        pausedUntil: new Date(until).toISOString(),
      });
    } else {
      logger.info("outgoing message logged; no reply", { ...fields, human: role === "human" });
    }
    return noReply("outgoing");
  }

  const intent = optOutIntent(message.text, settings.optOut);
  const planId = planIdFor(key);
  const claim = await contacts.claimMessage({
    phone: webhook.phone,
    key,
    at,
    planId,
    intent,
    now: clock.now(),
  });
  if (claim.kind === "older") {
    // A stop word is honoured even late (consent wins), without a confirmation.
    if (intent === "stop")
      await contacts.optOutLate({ phone: webhook.phone, at, now: clock.now() });
    logger.info("older than the contact's newest message: logged, no plan, nothing cancelled", {
      ...fields,
      intent,
    });
    return noReply("older_than_newest", { claim: "older" });
  }

  // A redelivered job (or a resume after a crash) finds the plan it stored and queues it again.
  let plan = claim.kind === "same" ? await deps.plans.get(webhook.phone, planId) : undefined;
  const reusedPlan = plan !== undefined;
  if (!plan) {
    const contact = claim.kind === "newest" ? claim.before : claim.contact;
    const reason = noPlanReason(contact, at, intent);
    if (reason) {
      logger.info(`no reply: contact ${reason.replace("_", " ")}`, { ...fields, planId });
      return noReply(reason, { claim: claim.kind, planId });
    }
    const decided = await decidePlan(job, { intent, claim, planId, deps });
    if (!decided) {
      logger.info("stop word from an opted-out contact: no second confirmation", fields);
      return noReply("already_opted_out", { claim: claim.kind, planId });
    }
    plan = await deps.plans.create(
      planItem({
        ...decided,
        planId,
        webhook,
        messageKey: key,
        planAt: at,
        acceptedAt,
        now: clock.now(),
        ttlSeconds: settings.ttlSeconds,
      }),
    );
  }

  if (plan.messages.length === 0) {
    logger.info("no rule matched; no reply", { ...fields, planId });
    return noReply("no_rule_matched", { claim: claim.kind, planId });
  }
  await contacts.putMessage(item({ planId }));
  const replies = repliesOf(plan);
  // In seq order, one at a time: if any send fails the job is retried, and a reply is never on the
  // queue without its predecessors (which it would wait for).
  for (const reply of replies) {
    await deps.repliesQueue.send(reply, {
      delaySeconds: enqueueDelaySeconds(clock.now(), reply.dueAt, settings.maxHopSeconds),
    });
  }
  logger.info(reusedPlan ? "stored reply plan queued again" : "reply plan scheduled", {
    ...fields,
    planId,
    planned: replies.length,
    keep: plan.keep,
    source: plan.source,
    lastDueInMs: (replies.at(-1)?.dueAt ?? 0) - clock.now(),
  });
  return { claim: claim.kind, planned: replies.length, planId, reusedPlan };
}

/** The messages of a new plan: the one opt-out confirmation, or the policy's answer (checked). */
async function decidePlan(
  job: WebhookJob,
  context: {
    intent: "stop" | "start" | null;
    claim: Exclude<MessageClaim, { kind: "older" }>;
    planId: string;
    deps: RespondDeps;
  },
): Promise<(Pick<PlanItem, "keep" | "source"> & { messages: ReplyPlanMessage[] }) | undefined> {
  const { intent, claim, planId, deps } = context;
  if (intent === "stop") {
    // At most one confirmation: only the stop word that opted the contact out gets one.
    const first =
      claim.kind === "newest" ? !claim.before?.optedOut : claim.contact.optOutPlanId === planId;
    const text = deps.settings.optOut.confirmation;
    if (!first) return undefined;
    return {
      keep: false,
      source: "opt-out-confirmation",
      messages: text ? [{ text, delayMs: 0 }] : [],
    };
  }
  const decision = asDecision(
    await deps.policy({ webhook: job.webhook, acceptedAt: job.acceptedAt }),
  );
  checkMessages(decision.messages);
  return {
    keep: decision.onNewMessage === "keep",
    source: "policy",
    messages: decision.messages,
  };
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
      planAt: plan.planAt,
    };
    if (plan.keep) reply.keep = true;
    if (message.attachment) reply.attachment = message.attachment;
    if (message.filename) reply.filename = message.filename;
    return reply;
  });
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
