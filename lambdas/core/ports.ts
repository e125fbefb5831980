import type { CancelReason, ContactState, MessageClaim } from "./conversation.js";
import type { ConversationItem, NoReplyReason, Plan } from "./conversationLog.js";
import type { ScheduledReply } from "./messages.js";
import type { ReplyItem } from "./replyItem.js";
import type { OutgoingMessage, SendOutcome } from "./vendorSend.js";

/**
 * Every capability the core and the handlers need from the outside world, in one place. Adapters
 * (lambdas/adapters/, one per port) implement them; tests fake them for simulated clocks and
 * fault injection.
 */

/** Time, injected so the core stays free of clocks and timers. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** Structured logger (runtime/lambda.ts adapts Powertools). Never pass secrets or full phone numbers. */
export interface Logger {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}

/** How one message is sent: held back (standard queues) or deduplicated and ordered (FIFO). */
export interface SendOptions {
  /** Whole seconds 0..900 (SQS DelaySeconds); standard queues only (FIFO refuses a per-message delay). */
  delaySeconds?: number;
  /**
   * FIFO only: what makes two sends the same message. SQS accepts a repeat within its 5-minute
   * window and drops it (it answers as for the first). 1..128 characters.
   */
  deduplicationId?: string;
  /** FIFO only: messages of one group are received in order, one in flight at a time. */
  groupId?: string;
}

/** A queue: standard (with delays) or FIFO (with deduplication and groups). */
export interface MessageQueue {
  /** Sends one message; resolves once the queue has it durably (or had it: a FIFO repeat). */
  send(body: unknown, options?: SendOptions): Promise<void>;
}

/**
 * Far replies (EventBridge Scheduler): a one-time schedule per reply that puts it on the replies
 * queue at a time; the schedule deletes itself once it has fired. At least once: a schedule may
 * fire late, or twice; the sender's reply items make a second copy harmless.
 */
export interface ReplyScheduler {
  /**
   * Creates the schedule `name` (unique per reply, so a retried job names the same one) that
   * sends `body` to the replies queue at `fireAt` (epoch ms, whole seconds, in the future).
   * Resolves "exists" when a schedule of that name is there already (ConflictException).
   */
  schedule(body: unknown, options: { name: string; fireAt: number }): Promise<"created" | "exists">;
}

/** When a received message comes back: the backoff of a worker that reports it as failed. */
export interface RedeliveryControl {
  /** Makes the message identified by `receiptHandle` visible again after `seconds`. */
  retryAfter(receiptHandle: string, seconds: number): Promise<void>;
}

/** Reads one secret's current string value, with caching the adapter decides. */
export interface SecretSource {
  /** Returns the secret string; forceRefresh bypasses any cache. */
  get(options?: { forceRefresh?: boolean }): Promise<string>;
}

// ── The conversation table (responder, sender, ops CLI; model in core/conversation.ts) ──────────

/** The responder's claim of one customer message on its contact. */
export interface MessageClaimInput {
  phone: string;
  key: string;
  /** The message's time (ms): vendor time, else acceptance. */
  at: number;
  /**
   * When the receiver accepted it (ms): orders two messages of one contact in the same vendor
   * second (the vendor's times are whole seconds), as the vendor delivered them.
   */
  acceptedAt: number;
  /** planIdFor(key): becomes the contact's plan when this message is the newest. */
  planId: string;
  /** A stop word opts out (and this plan is the one confirmation), a start word opts back in. */
  intent: "stop" | "start" | null;
  now: number;
}

/**
 * The CONTACT item and the MSG items of a contact (each message with the reply plan it got); every
 * write is one UpdateItem.
 */
export interface ContactStore {
  /**
   * Claims the message on its contact: one conditional UpdateItem that sets lastInbound*, planId
   * (and the opt-out state for a stop/start word) only if the message is newer than the contact's
   * newest (core/conversation.ts isNewerMessage: vendor time, then acceptance, then key). The item that failed the condition tells the rest (same key:
   * a redelivery; otherwise an older message), at no extra cost.
   */
  claimMessage(input: MessageClaimInput): Promise<MessageClaim>;
  /**
   * A person at the business wrote at `at`: pause automation until `until` and cancel replies of
   * plans for messages up to `at`. Never lowers an existing later pause.
   */
  takeOver(input: { phone: string; at: number; until: number; now: number }): Promise<void>;
  /** A stop word that arrived after a newer message: opt out anyway, unless a start word is newer. */
  optOutLate(input: { phone: string; at: number; now: number }): Promise<void>;
  /** Operator (ops CLI `pause`): pause until `until` and cancel every unsent reply. */
  pause(input: { phone: string; until: number; now: number }): Promise<void>;
  /**
   * Operator (ops CLI `resume`): end a pause; with `optIn` also an opt-out (the customer asked the
   * business to write again). Without it a stop word stays in force.
   */
  resume(input: { phone: string; now: number; optIn: boolean }): Promise<void>;
  /** Operator (ops CLI `cancel`): cancel every unsent reply of the contact, pause nothing. */
  cancelPending(input: { phone: string; now: number }): Promise<void>;
  /** Strongly consistent read of the CONTACT item. */
  getContact(phone: string): Promise<ContactState | undefined>;
  /**
   * Writes a message's MSG item, with its plan when it got one, unless a plan is stored on the item
   * already: a stored plan is never replaced or dropped. One conditional write, also when it does
   * not apply. Returns the item as stored: this one, or the one holding the plan another copy of
   * the job stored first (whose plan is then the plan).
   */
  recordMessage(item: ConversationItem): Promise<ConversationItem>;
  /**
   * What is stored for a customer message: its MSG item (`sk`) read as the plan it got and the
   * reason it got none; a strongly consistent read is 1 RRU, an eventually consistent one 0.5.
   */
  findMessage(message: {
    phone: string;
    sk: string;
    consistentRead: boolean;
  }): Promise<StoredMessage | undefined>;
  /**
   * The plan an earlier release stored as a PLAN#<planId> item (strongly consistent): for a
   * redelivered job whose MSG item holds no plan, so it reuses that plan instead of asking the
   * policy again.
   */
  findLegacyPlan(message: { phone: string; planId: string }): Promise<Plan | undefined>;
}

/** A customer message as stored: the plan it got, or why it got none. */
export interface StoredMessage {
  plan?: Plan;
  noReplyReason?: NoReplyReason;
}

// ── Reply items (sender; protocol in core/replyItem.ts) ────────────────────────────────────────

/** Identifies one reply's item (REPLY#<planId>#<seq> in the contact's partition). */
export interface ReplyRef {
  phone: string;
  planId: string;
  seq: number;
}

/** Identifies one reply's item and the claim holder acting on it. */
interface ClaimRef extends ReplyRef {
  owner: string;
}

export interface ReplyClaimInput extends ClaimRef {
  now: number;
  leaseMs: number;
  ttlSeconds: number;
  /** The reply itself: its text and due time make the item the bot message of the conversation. */
  reply: ScheduledReply;
}
export type ReplyClaimResult =
  | { claimed: true }
  | { claimed: false; existing: ReplyItem | undefined };
export interface MarkSentInput extends ClaimRef {
  sentAt: number;
}
export interface FinishInput extends ClaimRef {
  now: number;
  status: "FAILED" | "GAVE_UP" | "RETRY";
  reason: string;
}
export interface MarkUnknownInput extends ClaimRef {
  now: number;
}
export interface CancelInput extends ReplyRef {
  now: number;
  reason: CancelReason;
  ttlSeconds: number;
  reply: ScheduledReply;
}

/**
 * Persistence of reply items; every write is one conditional write, a transition of
 * core/replyItem.ts REPLY_TRANSITIONS (stores implement it through BaseReplyStore).
 */
export interface ReplyStore {
  /** Strongly consistent read. */
  get(ref: ReplyRef): Promise<ReplyItem | undefined>;
  /**
   * Takes the SENDING claim if there is no item or it is claimable; otherwise returns the item
   * that prevented it.
   */
  claim(input: ReplyClaimInput): Promise<ReplyClaimResult>;
  /** SENDING | UNKNOWN (ours) → SENT. Returns false when the claim was no longer ours. */
  markSent(input: MarkSentInput): Promise<boolean>;
  /** SENDING (ours) → FAILED | GAVE_UP | RETRY with a sanitised reason. */
  finish(input: FinishInput): Promise<boolean>;
  /** SENDING with an expired lease held by `owner` → UNKNOWN. Returns false if it changed meanwhile. */
  markUnknown(input: MarkUnknownInput): Promise<boolean>;
  /** (none) | RETRY | GAVE_UP → CANCELLED with the reason; false when it was claimed or finished. */
  cancel(input: CancelInput): Promise<boolean>;
}

// ── Vendor (sender; request and response rules in core/vendorSend.ts) ──────────────────────────

/** Sends one message through the vendor's send API. */
export interface VendorSender {
  send(message: OutgoingMessage): Promise<SendOutcome>;
}
