import type { ConversationItem, PlanItem } from "./conversationLog.js";
import type { SentMarker } from "./deliverReply.js";
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

// ── Conversation log (responder, sender) ───────────────────────────────────────────────────────

/** Writes conversation items; writing an existing key again must be harmless. */
export interface ConversationLogStore {
  append(items: readonly ConversationItem[]): Promise<void>;
}

/**
 * Reply plans (PLAN items): the responder stores a plan before it queues any reply of it. The
 * port of issue 13 (branch h13), taken as it is there.
 */
export interface PlanStore {
  /** Strongly consistent read. */
  get(phone: string, planId: string): Promise<PlanItem | undefined>;
  /** Stores the plan unless one with its id exists; returns the plan that is stored. */
  create(plan: PlanItem): Promise<PlanItem>;
}

// ── Sent-markers (sender; protocol in core/deliverReply.ts) ──────────────────────────────────────

/** Identifies one reply's marker and the claim holder acting on it. */
interface MarkerRef {
  planId: string;
  seq: number;
  owner: string;
}

export interface MarkerClaimInput extends MarkerRef {
  now: number;
  leaseMs: number;
  ttlSeconds: number;
}
export type MarkerClaimResult =
  | { claimed: true }
  | { claimed: false; existing: SentMarker | undefined };
export interface MarkSentInput extends MarkerRef {
  sentAt: number;
}
export interface FinishInput extends MarkerRef {
  now: number;
  status: "FAILED" | "GAVE_UP" | "RETRY";
  reason: string;
}
export interface MarkUnknownInput extends MarkerRef {
  now: number;
}

/** Persistence of sent-markers; every write is conditional. */
export interface SentMarkerStore {
  /** Strongly consistent read. */
  get(planId: string, seq: number): Promise<SentMarker | undefined>;
  /**
   * Takes the SENDING claim if there is no marker or it is claimable; otherwise returns the
   * marker that prevented it.
   */
  claim(input: MarkerClaimInput): Promise<MarkerClaimResult>;
  /** SENDING (ours) → SENT. Returns false when the claim was no longer ours. */
  markSent(input: MarkSentInput): Promise<boolean>;
  /** SENDING (ours) → FAILED | GAVE_UP | RETRY with a sanitised reason. */
  finish(input: FinishInput): Promise<boolean>;
  /** SENDING with an expired lease held by `owner` → UNKNOWN. Returns false if it changed meanwhile. */
  markUnknown(input: MarkUnknownInput): Promise<boolean>;
}

// ── Vendor (sender; request and response rules in core/vendorSend.ts) ──────────────────────────

/** Sends one message through the vendor's send API. */
export interface VendorSender {
  send(message: OutgoingMessage): Promise<SendOutcome>;
}
