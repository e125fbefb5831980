import {
  type MessageClaim,
  messageRole,
  noPlanReason,
  type OptOutSettings,
  optOutIntent,
  planIdFor,
  webhookMessage,
} from "./conversation.js";
import {
  type ConversationItem,
  messageItem,
  messageSk,
  type NoReplyReason,
  type Plan,
  planOf,
  replyPlan,
} from "./conversationLog.js";
import { errorFields, ReplyPlanError } from "./errors.js";
import type { ScheduledReply, WebhookJob } from "./messages.js";
import { canonicalPhone, maskPhone, PHONE_PROBLEM } from "./phone.js";
import type {
  Clock,
  ContactStore,
  Logger,
  MessageQueue,
  ReplyScheduler,
  StoredMessage,
} from "./ports.js";
import { ReplyPolicyUnavailableError } from "./replyPolicy.js";
import {
  asDecision,
  MAX_REPLY_DELAY_MS,
  MAX_TEXT_LENGTH,
  type ReplyPlanMessage,
  type ReplyPolicy,
} from "./replyRules.js";
import { placeReply, replyScheduleName, retryDelaySeconds } from "./schedule.js";

export { planIdFor } from "./conversation.js";

/**
 * The responder's work on one job (one webhook's message), in this order, each step safe to repeat:
 *
 *   1. phone check      a number that cannot be valid gets its MSG item (noReplyReason) and no reply
 *   2. outgoing         a person at the business → takeover (pause + cancel); anything else: logged
 *   3. repeat?          a message handled before (its MSG item holds a plan or why it got none)
 *                       is not claimed again: its stored plan is queued again, or nothing happens
 *   3a. claim           conditional UpdateItem on CONTACT: newest message? same (redelivery)? older?
 *   4. plan             the plan stored on the MSG item of a redelivered job, else the policy's
 *                       answer (rules, then a business's HTTP endpoint), checked
 *   5. MSG item         this message with its plan, in ONE conditional write that keeps a plan
 *                       already stored (another copy of the job won: its plan is the plan), BEFORE
 *                       any reply is queued, so the policy is asked once per job; a message
 *                       without a plan is written with why it got none
 *   6. enqueue          each reply of the plan: on the replies queue when one SQS hop reaches its
 *                       due time, else in a one-time schedule (EventBridge Scheduler) that puts
 *                       it there a few minutes before; the sender's reply items dedupe a copy
 *
 * A policy that is unavailable (timeout, network, 408/429/5xx) is a normal outcome, returned as
 * "come back later" with a backoff (no plan is stored, so the next attempt asks again).
 * docs/scheduling.md ("Plans and contacts") explains the states; every effect comes in via `deps`.
 */

export interface RespondSettings {
  maxHopSeconds: number;
  /** Retention of MSG items (DynamoDB TTL), after the message or its plan's last due reply. */
  ttlSeconds: number;
  /** Human takeover pause (HUMAN_PAUSE_SECONDS); 0 turns takeover off. */
  humanPauseSeconds: number;
  optOut: OptOutSettings;
  /** First backoff after an unavailable policy, doubling per attempt (schedule.retryDelaySeconds). */
  policyRetryBaseSeconds: number;
  /** The jobs queue's maxReceiveCount: the attempt that may not come back. */
  maxAttempts: number;
}

export interface RespondDeps {
  contacts: ContactStore;
  repliesQueue: MessageQueue;
  /**
   * Far replies (further than one SQS hop): a schedule each. Absent, they are chained through
   * the replies queue one hop at a time (the sender hops them), as before schedules existed.
   */
  scheduler?: ReplyScheduler;
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

/** The job is handled: its plan (possibly none) is stored and queued. */
export interface RespondDone {
  outcome: "done";
  /**
   * What the CONTACT claim found; "handled" when none was made because the message was handled
   * before (absent for outgoing messages and invalid phones, which make no claim either).
   */
  claim?: MessageClaim["kind"] | "handled";
  /** Replies enqueued. */
  planned: number;
  planId?: string;
  noReplyReason?: NoReplyReason;
  /** The plan was stored already (a redelivered job), not asked of the policy. */
  reusedPlan?: boolean;
}

/** The policy was unavailable: the job comes back after `afterSeconds`. */
export interface RespondRetry {
  outcome: "retry";
  afterSeconds: number;
  reason: string;
  /** No attempt is left: the job goes to the jobs DLQ (its MSG item is written) instead of coming back. */
  lastAttempt: boolean;
}

export type RespondResult = RespondDone | RespondRetry;

/**
 * The fields that tie a job's log lines to its contact: the key prefix, as on the receiver's
 * "webhook" line of this message (one filter finds both), and the masked phone.
 */
export function jobLogFields(job: Pick<WebhookJob, "key" | "webhook">) {
  return { keyPrefix: job.key.slice(0, 12), phone: maskPhone(job.webhook.phone) };
}

/**
 * Handles one webhook job. Safe to repeat; see the steps above.
 * @throws ReplyPlanError when a policy's plan cannot be scheduled; ReplyPolicyAnswerError when
 *   an HTTP policy answered something unusable (naming the field).
 */
export async function respondToJob(
  job: WebhookJob,
  deps: RespondDeps,
  attempt: JobAttempt = { receiveCount: 1 },
): Promise<RespondResult> {
  const { acceptedAt, key } = job;
  const { settings, logger, contacts, clock } = deps;
  // The receiver already keys jobs by the canonical number; a job queued before it did (an
  // upgrade with jobs in flight) is read the same way here: one contact, one recipient.
  const canonical = canonicalPhone(job.webhook.phone);
  const webhook = canonical ? { ...job.webhook, phone: canonical.digits } : job.webhook;
  const message = webhookMessage(webhook);
  // The vendor's time orders a contact's messages; without one, the time we accepted it.
  const at = message.timeMs ?? acceptedAt;
  const fields = jobLogFields(job);
  if (webhook.warnings.length) {
    logger.warn("informational fields of unexpected types ignored (kept raw)", {
      ...fields,
      warnings: webhook.warnings,
    });
  }
  // The time the MSG item is keyed on: the message's, or (a redelivered job) the one its claim holds.
  let itemAt = at;
  const item = (extra: {
    planId?: string;
    plan?: Plan;
    noReplyReason?: NoReplyReason;
  }): ConversationItem =>
    messageItem(webhook, message, { key, at: itemAt, ttlSeconds: settings.ttlSeconds, ...extra });
  const noReply = async (
    reason: NoReplyReason,
    result: Partial<RespondDone> = {},
  ): Promise<RespondDone> => {
    // Keeps a plan the item holds (a redelivery that now comes after a newer message): the message
    // did get that plan, and the sender decides whether its replies still go out.
    await contacts.recordMessage(item({ noReplyReason: reason, planId: result.planId }));
    return { outcome: "done", planned: 0, noReplyReason: reason, ...result };
  };

  /** Queues every reply of the plan (step 6) and says so: the happy path's end. */
  const queuePlan = async (
    plan: Plan,
    result: Required<Pick<RespondDone, "claim" | "reusedPlan">>,
  ): Promise<RespondDone> => {
    const { reusedPlan } = result;
    const replies = repliesOf(plan, webhook);
    // In seq order, one at a time: if any send fails the job is retried, and a reply is never on the
    // queue without its predecessors (which it would wait for).
    let scheduled = 0;
    for (const reply of replies) {
      const placement = placeReply(clock.now(), reply.dueAt, {
        maxHopSeconds: settings.maxHopSeconds,
        scheduler: deps.scheduler !== undefined,
      });
      if (placement.kind === "schedule" && deps.scheduler) {
        // A retried job meets the schedule it made before ("exists"): one schedule per reply.
        await deps.scheduler.schedule(reply, {
          name: replyScheduleName(reply.planId, reply.seq),
          fireAt: placement.fireAt,
        });
        scheduled += 1;
      } else if (placement.kind === "queue") {
        await deps.repliesQueue.send(reply, { delaySeconds: placement.delaySeconds });
      }
    }
    // The happy path's line, one per webhook (docs/operations.md, "Reading the logs"): the phone is
    // on the receiver's line of this key; the rest only when it says something (an opt-out
    // confirmation rather than the policy's plan, a kept plan, replies due later).
    const lastDueInMs = (replies.at(-1)?.dueAt ?? 0) - clock.now();
    logger.info(reusedPlan ? "stored reply plan queued again" : "reply plan scheduled", {
      keyPrefix: fields.keyPrefix,
      planId,
      planned: replies.length,
      ...(plan.source === "policy" ? {} : { source: plan.source }),
      ...(plan.keep ? { keep: true } : {}),
      ...(lastDueInMs > 0 ? { lastDueInMs } : {}),
      ...(scheduled > 0 ? { scheduled } : {}),
    });
    return { outcome: "done", planned: replies.length, planId: plan.planId, ...result };
  };

  if (!canonical) {
    logger.warn("phone number cannot be valid; acknowledged without a reply", {
      ...fields,
      reason: PHONE_PROBLEM,
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
  // A message handled before is never claimed again: a vendor repeat after the queue's 5-minute
  // window is accepted later than the first delivery, and when a newer message of the same vendor
  // second came in between, a claim would judge the repeat the newer one and supersede that
  // message's plan. A new message finds nothing. Strongly consistent (1 RRU, not 0.5): the repeat
  // comes minutes after the first *delivery*, not after its item was written. After a responder
  // outage or backlog longer than SQS's 5-minute window, the first delivery, the newer message and
  // the repeat wait in the contact's FIFO group and run back to back, so the repeat's read comes
  // milliseconds after the first one's write, which an eventually consistent read may not see.
  const stored = await contacts.findMessage({
    phone: webhook.phone,
    sk: messageSk(at, "user", key),
    consistentRead: true,
  });
  const handled = settled(stored);
  if (handled) {
    if (!handled.plan?.messages.length) {
      logger.info("message handled before; nothing to do", {
        ...fields,
        ...(handled.noReplyReason ? { noReplyReason: handled.noReplyReason } : {}),
      });
      return {
        outcome: "done",
        claim: "handled",
        planned: 0,
        ...(handled.plan ? { planId, reusedPlan: true } : {}),
        ...(handled.noReplyReason ? { noReplyReason: handled.noReplyReason } : {}),
      };
    }
    return queuePlan(handled.plan, { claim: "handled", reusedPlan: true });
  }
  const claim = await contacts.claimMessage({
    phone: webhook.phone,
    key,
    at,
    acceptedAt,
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

  // A redelivered job (or a resume after a crash, a redrive) finds the plan it stored on its MSG
  // item and queues it again. The item's key holds the time the first claim recorded: an undated
  // message redelivered after the queue's dedupe window carries a later acceptance time, and only
  // then is its item another than the one the repeat check just read. Without a plan there, an
  // earlier release's PLAN item. A new message ("newest") has nothing stored: no read.
  let plan: Plan | undefined;
  if (claim.kind === "same") {
    itemAt = claim.contact.lastInboundAt ?? at;
    const own =
      itemAt === at
        ? stored
        : await contacts.findMessage({
            phone: webhook.phone,
            sk: messageSk(itemAt, "user", key),
            consistentRead: true,
          });
    plan = own?.plan ?? (await contacts.findLegacyPlan({ phone: webhook.phone, planId }));
  }
  const reusedPlan = plan !== undefined;
  if (!plan) {
    const contact = claim.kind === "newest" ? claim.before : claim.contact;
    const reason = noPlanReason(contact, itemAt, intent);
    if (reason) {
      logger.info(`no reply: contact ${reason.replace("_", " ")}`, { ...fields, planId });
      return noReply(reason, { claim: claim.kind, planId });
    }
    let decided: Awaited<ReturnType<typeof decidePlan>>;
    try {
      decided = await decidePlan({ ...job, webhook }, { intent, claim, planId, deps });
    } catch (error) {
      if (!(error instanceof ReplyPolicyUnavailableError)) throw error;
      // No plan stored: the next attempt asks again. The CONTACT claim stays; that attempt finds
      // it as "same" (or "older" when a newer message came meanwhile, and gets no plan).
      const retry = policyUnavailable(error, attempt, deps, { ...fields, planId });
      // Giving up: the customer's message is still logged (a redriven job that gets a plan
      // writes it again, with the plan).
      if (retry.lastAttempt)
        await contacts.recordMessage(item({ noReplyReason: "policy_unavailable" }));
      return retry;
    }
    if (!decided) {
      logger.info("stop word from an opted-out contact: no second confirmation", fields);
      return noReply("already_opted_out", { claim: claim.kind, planId });
    }
    const ours = replyPlan({ ...decided, planId, planAt: itemAt, acceptedAt });
    const stored = await contacts.recordMessage(
      item({
        plan: ours,
        noReplyReason: ours.messages.length === 0 ? "no_rule_matched" : undefined,
      }),
    );
    plan = planOf(stored) ?? ours;
  }

  if (plan.messages.length === 0) {
    logger.info("no rule matched; no reply", { ...fields, planId });
    return {
      outcome: "done",
      claim: claim.kind,
      planned: 0,
      planId,
      noReplyReason: "no_rule_matched",
      reusedPlan,
    };
  }
  return queuePlan(plan, { claim: claim.kind, reusedPlan });
}

/** Backoff for an unavailable policy, and the log line that says what happens next. */
function policyUnavailable(
  error: ReplyPolicyUnavailableError,
  attempt: JobAttempt,
  deps: RespondDeps,
  fields: Record<string, unknown>,
): RespondRetry {
  const { settings, logger } = deps;
  const lastAttempt = attempt.receiveCount >= settings.maxAttempts;
  // After the last attempt there is nothing to wait for: the responder moves it to the DLQ.
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
    // WARN with the details: the responder's ERROR line that it sent the job to the DLQ follows,
    // one ERROR per dead job.
    logger.warn("reply policy unavailable on the last attempt; the job goes to the DLQ", logFields);
  } else {
    logger.warn("reply policy unavailable; retrying with backoff", {
      ...logFields,
      afterSeconds,
    });
  }
  return { outcome: "retry", afterSeconds, reason: error.message, lastAttempt };
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
): Promise<(Pick<Plan, "keep" | "source"> & { messages: ReplyPlanMessage[] }) | undefined> {
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
    await deps.policy({ webhook: job.webhook, acceptedAt: job.acceptedAt, jobKey: job.key }),
  );
  checkMessages(decision.messages);
  return {
    keep: decision.onNewMessage === "keep",
    source: "policy",
    messages: decision.messages,
  };
}

/** The scheduled replies of a stored plan, to its contact. */
export function repliesOf(
  plan: Plan,
  contact: { phone: string; userId: string | null },
): ScheduledReply[] {
  return plan.messages.map((message) => {
    const reply: ScheduledReply = {
      kind: "scheduled-reply",
      version: 1,
      planId: plan.planId,
      seq: message.seq,
      total: plan.messages.length,
      phone: contact.phone,
      userId: contact.userId,
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

/**
 * A stored message that was handled: it got a plan, or a reason for none that is final. An
 * unavailable policy is not final (a redriven job asks again), and an item without either is one
 * an earlier release wrote (its plan, if any, is a PLAN item that only a claim looks for).
 */
function settled(stored: StoredMessage | undefined): StoredMessage | undefined {
  if (stored?.plan) return stored;
  if (stored?.noReplyReason && stored.noReplyReason !== "policy_unavailable") return stored;
  return undefined;
}
