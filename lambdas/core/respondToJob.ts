import {
  type ContactState,
  type MessageClaim,
  type MessageRole,
  messageRole,
  noPlanReason,
  type OptOutSettings,
  optOutIntent,
  planIdFor,
  type WebhookMessage,
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
import type { NormalizedWebhook, ScheduledReply, WebhookJob } from "./messages.js";
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
 * The responder's work on one job (one webhook's message), in this order, each step safe to repeat
 * and each a function below (respondToJob reads as the list):
 *
 *   0. readJob          the job's context: canonical phone, its message and time, plan id, log fields
 *   1. invalidPhone     a number that cannot be valid gets its MSG item (noReplyReason) and no reply
 *   2. outgoing         a person at the business → takeover (pause + cancel); anything else: logged
 *   3. findStored,      a message handled before (its MSG item holds a plan or why it got none)
 *      repeat           is not claimed again: its stored plan is queued again, or nothing happens
 *   3a. claimMessage,   conditional UpdateItem on CONTACT: newest message? same (redelivery)?
 *      older            older (logged, no plan)?
 *   4. keptPlan,        the plan stored on the MSG item of a redelivered job, else (unless the
 *      contactRefuses,  contact is opted out or paused) the opt-out confirmation or the policy's
 *      decide           answer (rules, then a business's HTTP endpoint), checked
 *   5. recordPlan       this message with its plan, in ONE conditional write that keeps a plan
 *                       already stored (another copy of the job won: its plan is the plan), BEFORE
 *                       any reply is queued, so the policy is asked once per job; a message
 *                       without a plan is written with why it got none (recordNoReply)
 *   6. finish,          each reply of the plan: on the replies queue when one SQS hop reaches its
 *      queuePlan        due time, else in a one-time schedule (EventBridge Scheduler) that puts
 *                       it there a few minutes before; the sender's reply items dedupe a copy
 *
 * The steps share a read-only context (JobContext; ClaimedContext once the claim is held, with the
 * time the MSG item is keyed on). A policy that is unavailable (timeout, network, 408/429/5xx) is
 * a normal outcome, returned as "come back later" with a backoff (no plan is stored, so the next
 * attempt asks again). docs/scheduling.md ("Plans and contacts") explains the states; every
 * effect comes in via `deps`.
 */

interface RespondSettings {
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
interface RespondDone {
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
interface RespondRetry {
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
 * Handles one webhook job. Safe to repeat; see the steps above, one function each below.
 * @throws ReplyPlanError when a policy's plan cannot be scheduled; ReplyPolicyAnswerError when
 *   an HTTP policy answered something unusable (naming the field).
 */
export async function respondToJob(
  job: WebhookJob,
  deps: RespondDeps,
  attempt: JobAttempt = { receiveCount: 1 },
): Promise<RespondResult> {
  const { context, validPhone } = readJob(job, deps);
  if (!validPhone) return invalidPhone(context);
  const role = messageRole(context.webhook);
  if (role !== "customer") return outgoing(context, role);
  const stored = await findStored(context);
  const handled = settled(stored);
  if (handled) return repeat(context, handled);
  const intent = optOutIntent(context.message.text, deps.settings.optOut);
  const claim = await claimMessage(context, intent);
  if (claim.kind === "older") return older(context, intent);
  const claimed = claimedContext(context, claim, intent);
  const kept = await keptPlan(claimed, stored);
  if (kept) return finish(claimed, kept, { reusedPlan: true });
  const refused = noPlanReason(contactBefore(claim), claimed.itemAt, intent);
  if (refused) return contactRefuses(claimed, refused);
  const decided = await decide(claimed, attempt);
  if (isResult(decided)) return decided;
  const plan = await recordPlan(claimed, decided);
  return finish(claimed, plan, { reusedPlan: false });
}

type JobLogFields = ReturnType<typeof jobLogFields>;

/** What every step knows of the job: read once from it (readJob), never changed. */
interface JobContext {
  readonly key: string;
  readonly acceptedAt: number;
  /** The job's webhook with the contact's canonical number (as it came when none can be valid). */
  readonly webhook: NormalizedWebhook;
  readonly message: WebhookMessage;
  /** The message's time, which orders a contact's messages: the vendor's, else our acceptance. */
  readonly at: number;
  /** The plan id every delivery of this message gets. */
  readonly planId: string;
  readonly fields: JobLogFields;
  readonly deps: RespondDeps;
}

/** A customer message whose claim this job holds: the contact's newest, or the same again. */
interface ClaimedContext extends JobContext {
  readonly claim: Exclude<MessageClaim, { kind: "older" }>;
  readonly intent: OptOutIntent;
  /** The time its MSG item is keyed on: the message's, or (a redelivered job) the one its claim holds. */
  readonly itemAt: number;
}

type OptOutIntent = ReturnType<typeof optOutIntent>;

/** The messages of a new plan, before they get their due times. */
type PlanDecision = Pick<Plan, "keep" | "source"> & { messages: ReplyPlanMessage[] };

/** Parse: the job's context, and whether its phone number can be valid at all. */
function readJob(job: WebhookJob, deps: RespondDeps): { context: JobContext; validPhone: boolean } {
  // The receiver already keys jobs by the canonical number; a job queued before it did (an
  // upgrade with jobs in flight) is read the same way here: one contact, one recipient.
  const canonical = canonicalPhone(job.webhook.phone);
  const webhook = canonical ? { ...job.webhook, phone: canonical.digits } : job.webhook;
  const message = webhookMessage(webhook);
  const fields = jobLogFields(job);
  if (webhook.warnings.length) {
    deps.logger.warn("informational fields of unexpected types ignored (kept raw)", {
      ...fields,
      warnings: webhook.warnings,
    });
  }
  const context: JobContext = {
    key: job.key,
    acceptedAt: job.acceptedAt,
    webhook,
    message,
    at: message.timeMs ?? job.acceptedAt,
    planId: planIdFor(job.key),
    fields,
    deps,
  };
  return { context, validPhone: canonical !== undefined };
}

/** Step 1: a number that cannot be valid is logged with its MSG item, and gets no reply. */
function invalidPhone(context: JobContext): Promise<RespondDone> {
  context.deps.logger.warn("phone number cannot be valid; acknowledged without a reply", {
    ...context.fields,
    reason: PHONE_PROBLEM,
  });
  return recordNoReply(context, context.at, "invalid_phone");
}

/** Step 2: a person at the business takes over (pause + cancel); anything else is logged. */
async function outgoing(
  context: JobContext,
  role: Exclude<MessageRole, "customer">,
): Promise<RespondDone> {
  const { deps, at, fields } = context;
  const { settings, contacts, clock, logger } = deps;
  if (role === "human" && settings.humanPauseSeconds > 0) {
    const until = at + settings.humanPauseSeconds * 1000;
    await contacts.takeOver({ phone: context.webhook.phone, at, until, now: clock.now() });
    logger.info("a person at the business wrote: automation paused, unsent replies cancelled", {
      ...fields,
      pausedUntil: new Date(until).toISOString(),
    });
  } else {
    logger.info("outgoing message logged; no reply", { ...fields, human: role === "human" });
  }
  return recordNoReply(context, at, "outgoing");
}

/**
 * Step 3, the repeat check: what is stored for this message. A message handled before is never
 * claimed again: a vendor repeat after the queue's 5-minute window is accepted later than the
 * first delivery, and when a newer message of the same vendor second came in between, a claim
 * would judge the repeat the newer one and supersede that message's plan. A new message finds
 * nothing. Strongly consistent (1 RRU, not 0.5): the repeat comes minutes after the first
 * *delivery*, not after its item was written. After a responder outage or backlog longer than
 * SQS's 5-minute window, the first delivery, the newer message and the repeat wait in the
 * contact's FIFO group and run back to back, so the repeat's read comes milliseconds after the
 * first one's write, which an eventually consistent read may not see.
 */
function findStored(context: JobContext): Promise<StoredMessage | undefined> {
  return context.deps.contacts.findMessage({
    phone: context.webhook.phone,
    sk: messageSk(context.at, "user", context.key),
    consistentRead: true,
  });
}

/** Step 3, a repeat: its stored plan is queued again, or nothing happens. */
async function repeat(context: JobContext, handled: StoredMessage): Promise<RespondDone> {
  const { planId, fields, deps } = context;
  if (!handled.plan?.messages.length) {
    deps.logger.info("message handled before; nothing to do", {
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
  return queuePlan(context, handled.plan, { claim: "handled", reusedPlan: true });
}

/** Step 3a: the conditional claim on CONTACT (newest message? the same again? an older one?). */
function claimMessage(context: JobContext, intent: OptOutIntent): Promise<MessageClaim> {
  const { deps, webhook, key, at, acceptedAt, planId } = context;
  return deps.contacts.claimMessage({
    phone: webhook.phone,
    key,
    at,
    acceptedAt,
    planId,
    intent,
    now: deps.clock.now(),
  });
}

/** Step 3a, older than the contact's newest: logged, no plan, nothing cancelled. */
async function older(context: JobContext, intent: OptOutIntent): Promise<RespondDone> {
  const { deps, webhook, at, fields } = context;
  // A stop word is honoured even late (consent wins), without a confirmation.
  if (intent === "stop")
    await deps.contacts.optOutLate({ phone: webhook.phone, at, now: deps.clock.now() });
  deps.logger.info("older than the contact's newest message: logged, no plan, nothing cancelled", {
    ...fields,
    intent,
  });
  return recordNoReply(context, at, "older_than_newest", { claim: "older" });
}

/**
 * The claimed message's context. Its MSG item's key holds the time the first claim recorded: an
 * undated message redelivered after the queue's dedupe window carries a later acceptance time, and
 * only then is its item another than the one the repeat check read.
 */
function claimedContext(
  context: JobContext,
  claim: ClaimedContext["claim"],
  intent: OptOutIntent,
): ClaimedContext {
  const itemAt = claim.kind === "same" ? (claim.contact.lastInboundAt ?? context.at) : context.at;
  return { ...context, claim, intent, itemAt };
}

/** The contact as it was before this message. */
function contactBefore(claim: ClaimedContext["claim"]): ContactState | undefined {
  return claim.kind === "newest" ? claim.before : claim.contact;
}

/**
 * Step 4, a redelivered job (or a resume after a crash, a redrive): the plan it stored on its MSG
 * item, else an earlier release's PLAN item. A new message ("newest") has nothing stored: no read.
 */
async function keptPlan(
  claimed: ClaimedContext,
  stored: StoredMessage | undefined,
): Promise<Plan | undefined> {
  const { claim, itemAt, at, key, planId, webhook, deps } = claimed;
  if (claim.kind !== "same") return undefined;
  const own =
    itemAt === at
      ? stored
      : await deps.contacts.findMessage({
          phone: webhook.phone,
          sk: messageSk(itemAt, "user", key),
          consistentRead: true,
        });
  return own?.plan ?? (await deps.contacts.findLegacyPlan({ phone: webhook.phone, planId }));
}

/** Step 4, an opted-out or paused contact: the message is logged, without a plan. */
function contactRefuses(
  claimed: ClaimedContext,
  reason: NonNullable<ReturnType<typeof noPlanReason>>,
): Promise<RespondDone> {
  const { fields, planId, deps, claim, itemAt } = claimed;
  deps.logger.info(`no reply: contact ${reason.replace("_", " ")}`, { ...fields, planId });
  return recordNoReply(claimed, itemAt, reason, { claim: claim.kind, planId });
}

/**
 * Step 4, a new plan's messages: the one opt-out confirmation, or the policy's answer (checked).
 * An unavailable policy comes back later; a second stop word gets no second confirmation.
 */
async function decide(
  claimed: ClaimedContext,
  attempt: JobAttempt,
): Promise<PlanDecision | RespondResult> {
  const { intent, fields, planId, deps } = claimed;
  if (intent === "stop") {
    const confirmation = optOutConfirmation(claimed);
    if (confirmation) return confirmation;
    deps.logger.info("stop word from an opted-out contact: no second confirmation", fields);
    return recordNoReply(claimed, claimed.itemAt, "already_opted_out", {
      claim: claimed.claim.kind,
      planId,
    });
  }
  try {
    return await askPolicy(claimed);
  } catch (error) {
    if (!(error instanceof ReplyPolicyUnavailableError)) throw error;
    // No plan stored: the next attempt asks again. The CONTACT claim stays; that attempt finds
    // it as "same" (or "older" when a newer message came meanwhile, and gets no plan).
    const retry = policyUnavailable(error, attempt, deps, { ...fields, planId });
    // Giving up: the customer's message is still logged (a redriven job that gets a plan
    // writes it again, with the plan).
    if (retry.lastAttempt) {
      await deps.contacts.recordMessage(
        messageItemOf(claimed, claimed.itemAt, { noReplyReason: "policy_unavailable" }),
      );
    }
    return retry;
  }
}

/** At most one confirmation: only the stop word that opted the contact out gets one. */
function optOutConfirmation({ claim, planId, deps }: ClaimedContext): PlanDecision | undefined {
  const first =
    claim.kind === "newest" ? !claim.before?.optedOut : claim.contact.optOutPlanId === planId;
  if (!first) return undefined;
  const text = deps.settings.optOut.confirmation;
  return {
    keep: false,
    source: "opt-out-confirmation",
    messages: text ? [{ text, delayMs: 0 }] : [],
  };
}

/** The policy's answer, checked. */
async function askPolicy({ webhook, acceptedAt, key, deps }: JobContext): Promise<PlanDecision> {
  const decision = asDecision(await deps.policy({ webhook, acceptedAt, jobKey: key }));
  checkMessages(decision.messages);
  return {
    keep: decision.onNewMessage === "keep",
    source: "policy",
    messages: decision.messages,
  };
}

/**
 * Step 5: the MSG item with its plan, in one conditional write that keeps a plan stored already
 * (another copy of the job won: its plan is the plan).
 */
async function recordPlan(claimed: ClaimedContext, decided: PlanDecision): Promise<Plan> {
  const { planId, itemAt, acceptedAt, deps } = claimed;
  const ours = replyPlan({ ...decided, planId, planAt: itemAt, acceptedAt });
  const stored = await deps.contacts.recordMessage(
    messageItemOf(claimed, itemAt, {
      plan: ours,
      noReplyReason: ours.messages.length === 0 ? "no_rule_matched" : undefined,
    }),
  );
  return planOf(stored) ?? ours;
}

/** The claimed message's plan, kept or new: queued (step 6), or none when no rule matched. */
async function finish(
  claimed: ClaimedContext,
  plan: Plan,
  { reusedPlan }: { reusedPlan: boolean },
): Promise<RespondDone> {
  const { claim, planId, fields, deps } = claimed;
  if (plan.messages.length === 0) {
    deps.logger.info("no rule matched; no reply", { ...fields, planId });
    return {
      outcome: "done",
      claim: claim.kind,
      planned: 0,
      planId,
      noReplyReason: "no_rule_matched",
      reusedPlan,
    };
  }
  return queuePlan(claimed, plan, { claim: claim.kind, reusedPlan });
}

/** Step 6: queues every reply of the plan and says so: the happy path's end. */
async function queuePlan(
  context: JobContext,
  plan: Plan,
  result: Required<Pick<RespondDone, "claim" | "reusedPlan">>,
): Promise<RespondDone> {
  const { deps, fields, planId } = context;
  const replies = repliesOf(plan, context.webhook);
  const scheduled = await enqueueReplies(deps, replies);
  // The happy path's line, one per webhook (docs/operations.md, "Reading the logs"): the phone is
  // on the receiver's line of this key; the rest only when it says something (an opt-out
  // confirmation rather than the policy's plan, a kept plan, replies due later).
  const lastDueInMs = (replies.at(-1)?.dueAt ?? 0) - deps.clock.now();
  deps.logger.info(result.reusedPlan ? "stored reply plan queued again" : "reply plan scheduled", {
    keyPrefix: fields.keyPrefix,
    planId,
    planned: replies.length,
    ...(plan.source === "policy" ? {} : { source: plan.source }),
    ...(plan.keep ? { keep: true } : {}),
    ...(lastDueInMs > 0 ? { lastDueInMs } : {}),
    ...(scheduled > 0 ? { scheduled } : {}),
  });
  return { outcome: "done", planned: replies.length, planId: plan.planId, ...result };
}

/**
 * Each reply on the replies queue when one SQS hop reaches its due time, else in a one-time
 * schedule that puts it there a few minutes before. Returns how many got a schedule.
 */
async function enqueueReplies(deps: RespondDeps, replies: ScheduledReply[]): Promise<number> {
  const { clock, settings, scheduler, repliesQueue } = deps;
  // In seq order, one at a time: if any send fails the job is retried, and a reply is never on the
  // queue without its predecessors (which it would wait for).
  let scheduled = 0;
  for (const reply of replies) {
    const placement = placeReply(clock.now(), reply.dueAt, {
      maxHopSeconds: settings.maxHopSeconds,
      scheduler: scheduler !== undefined,
    });
    if (placement.kind === "schedule" && scheduler) {
      // A retried job meets the schedule it made before ("exists"): one schedule per reply.
      await scheduler.schedule(reply, {
        name: replyScheduleName(reply.planId, reply.seq),
        fireAt: placement.fireAt,
      });
      scheduled += 1;
    } else if (placement.kind === "queue") {
      await repliesQueue.send(reply, { delaySeconds: placement.delaySeconds });
    }
  }
  return scheduled;
}

/** The MSG item of the job's message, keyed on `itemAt`. */
function messageItemOf(
  context: JobContext,
  itemAt: number,
  extra: { planId?: string; plan?: Plan; noReplyReason?: NoReplyReason },
): ConversationItem {
  const { webhook, message, key, deps } = context;
  return messageItem(webhook, message, {
    key,
    at: itemAt,
    ttlSeconds: deps.settings.ttlSeconds,
    ...extra,
  });
}

/** A message that gets no reply: its MSG item says why, and the job is done. */
async function recordNoReply(
  context: JobContext,
  itemAt: number,
  reason: NoReplyReason,
  result: Partial<RespondDone> = {},
): Promise<RespondDone> {
  // Keeps a plan the item holds (a redelivery that now comes after a newer message): the message
  // did get that plan, and the sender decides whether its replies still go out.
  await context.deps.contacts.recordMessage(
    messageItemOf(context, itemAt, { noReplyReason: reason, planId: result.planId }),
  );
  return { outcome: "done", planned: 0, noReplyReason: reason, ...result };
}

/** A step's result rather than the value the next step needs. */
function isResult(value: object): value is RespondResult {
  return "outcome" in value;
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

/** The scheduled replies of a stored plan, to its contact. */
function repliesOf(
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
