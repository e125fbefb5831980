import type { CancelReason } from "./conversation.js";
import type { ScheduledReply } from "./messages.js";
import type {
  CancelInput,
  FinishInput,
  MarkSentInput,
  MarkUnknownInput,
  ReplyClaimInput,
  ReplyClaimResult,
  ReplyRef,
  ReplyStore,
} from "./ports.js";

/**
 * The reply item: one item per scheduled reply in its contact's partition of the conversation
 * table (sk "REPLY#<planId>#<seq>"). It keeps every reply sent at most once across retries,
 * redeliveries and duplicate jobs, and is at the same time the bot message of the conversation
 * (text, due and sent time). Its protocol lives here, in one place: the statuses, the transitions
 * between them (each one conditional write), and what each write sets. A store (DynamoDB, the
 * tests' in-memory one) implements two primitives, read an item and apply a write if its
 * condition holds, and inherits the protocol ({@link BaseReplyStore}). docs/scheduling.md, section
 * 4, tells the story:
 *
 *   (none) ──contact says no──▶ CANCELLED (superseded | human | opt-out | operator; never sent)
 *   (none) ──claim──▶ SENDING ──vendor 2xx──▶ SENT
 *      ▲                 │ ├──vendor refused──▶ FAILED      (never retried)
 *      │                 │ ├──retryable, attempts left──▶ RETRY ──claim──▶ SENDING …
 *      │                 │ └──retryable, last attempt──▶ GAVE_UP (message goes to the DLQ)
 *      │                 └──lease expired (process died mid-call)──▶ UNKNOWN (never resent)
 *      └── GAVE_UP is claimable again, so an operator's DLQ redrive gets a fresh try.
 */

/**
 * Every status of a reply item, and whether it is finished: nothing more happens to it unless an
 * operator asks (a redrive of GAVE_UP), so the next reply of its plan may go.
 */
export const REPLY_STATUSES = {
  /** A worker holds the claim and is calling the vendor (until its lease ends). */
  SENDING: { finished: false },
  /** The vendor accepted it. */
  SENT: { finished: true },
  /** The vendor refused it for good. */
  FAILED: { finished: true },
  /** A worker died during the vendor call: delivered or not, it is never resent. */
  UNKNOWN: { finished: true },
  /** A retryable failure released the claim: the queue brings it back. */
  RETRY: { finished: false },
  /** The last attempt failed: the message is in the DLQ, whose redrive may claim it again. */
  GAVE_UP: { finished: true },
  /** The contact said no before it was sent (CancelReason); never sent. */
  CANCELLED: { finished: true },
} as const satisfies Record<string, { finished: boolean }>;

export type ReplyStatus = keyof typeof REPLY_STATUSES;

/** The state before any write: no item. */
export const NO_ITEM = "none";
type FromState = ReplyStatus | typeof NO_ITEM;

/**
 * What a write requires beyond the status it starts from:
 * - ownedByCaller: the item's owner is the caller's claim token (an item without one fails);
 * - leaseExpired: the item's lease ended at or before the caller's time (one without fails).
 */
export type ReplyGuard = "ownedByCaller" | "leaseExpired";

export interface ReplyTransition {
  /** The states the write applies to (NO_ITEM: the item does not exist yet). */
  from: readonly FromState[];
  /** The statuses it leaves the item in. */
  to: readonly ReplyStatus[];
  guards: readonly ReplyGuard[];
}

/** The writes of the protocol: every allowed transition of a reply item, one conditional write each. */
export const REPLY_TRANSITIONS = {
  /** Take the SENDING claim on a reply nobody tried, or one released (RETRY, a redriven GAVE_UP). */
  claim: { from: [NO_ITEM, "RETRY", "GAVE_UP"], to: ["SENDING"], guards: [] },
  /**
   * The vendor accepted it: from the caller's claim, or from UNKNOWN when the call outlived the
   * lease and another worker marked it so meanwhile (the caller's owner token is still on it).
   */
  markSent: { from: ["SENDING", "UNKNOWN"], to: ["SENT"], guards: ["ownedByCaller"] },
  /** The caller's send ended without a 2xx: refused, retryable, or retryable on the last attempt. */
  finish: { from: ["SENDING"], to: ["FAILED", "RETRY", "GAVE_UP"], guards: ["ownedByCaller"] },
  /** A claim whose worker died mid-call (its lease ended): the outcome is unknown. */
  markUnknown: { from: ["SENDING"], to: ["UNKNOWN"], guards: ["ownedByCaller", "leaseExpired"] },
  /** The contact said no before any attempt is in flight or done. */
  cancel: { from: [NO_ITEM, "RETRY", "GAVE_UP"], to: ["CANCELLED"], guards: [] },
} as const satisfies Record<string, ReplyTransition>;

export type ReplyTransitionName = keyof typeof REPLY_TRANSITIONS;

/** Statuses a new attempt may claim. */
export const CLAIMABLE_STATUSES: readonly ReplyStatus[] = REPLY_TRANSITIONS.claim.from.filter(
  (state): state is "RETRY" | "GAVE_UP" => state !== NO_ITEM,
);

/** Why an item became UNKNOWN (its `reason`). */
const UNKNOWN_REASON = "the sender stopped during the vendor call; delivery unknown";

export interface ReplyItem {
  /** "PHONE#<digits>" */
  pk: string;
  /** "REPLY#<planId>#<seq, 3 digits>" */
  sk: string;
  phone: string;
  userId?: string | null;
  planId: string;
  seq: number;
  status: ReplyStatus;
  /** The conversation fields: always "bot", the reply's text and attachment, due and sent time. */
  role?: "bot";
  content?: string;
  contentType?: string;
  mediaUrl?: string | null;
  dueAt?: number;
  /** ISO time the vendor accepted it (SENT only), for a conversation read in time order. */
  at?: string;
  /** Why it was cancelled (CANCELLED only). */
  cancelReason?: CancelReason;
  /** Random token of the worker holding (or that last held) the SENDING claim. */
  owner?: string;
  /** Epoch ms after which a SENDING claim counts as abandoned. */
  leaseUntil?: number;
  /** Send attempts started (claims taken); absent on a reply cancelled before any attempt. */
  attempts?: number;
  /** Epoch ms of the vendor's 2xx. */
  sentAt?: number;
  /** Sanitised vendor reason of the last failure (UNKNOWN: {@link UNKNOWN_REASON}). */
  reason?: string;
  updatedAt: number;
  /** Epoch seconds (DynamoDB TTL). */
  expiresAt: number;
}

/** The sort key of one reply's item (seq zero-padded: a plan has at most 100 messages). */
export function replySk(planId: string, seq: number): string {
  return `REPLY#${planId}#${String(seq).padStart(3, "0")}`;
}

/** Whether a status (any text: the ops CLI also says "SCHEDULED") is a finished reply item's. */
export function isFinishedStatus(status: string): boolean {
  return Object.hasOwn(REPLY_STATUSES, status) && REPLY_STATUSES[status as ReplyStatus].finished;
}

/** True when the reply is finished one way or another (the ordering gate for its successor). */
export function isFinished(item: Pick<ReplyItem, "status"> | undefined): boolean {
  return item !== undefined && isFinishedStatus(item.status);
}

/** The vendor's content type for an attachment URL, from its extension (docs/vendor.md, "Send API"). */
export function attachmentContentType(url: string): string {
  const extension = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(url)?.[1]?.toLowerCase() ?? "";
  if (["jpg", "jpeg", "png", "webp"].includes(extension)) return "image";
  if (["mp4", "3gp"].includes(extension)) return "video";
  if (["mp3", "aac", "m4a", "ogg", "amr"].includes(extension)) return "audio";
  return "document";
}

// ── Writes ────────────────────────────────────────────────────────────────────────────────────

/** Attributes a write sets (key attributes aside: they are the item's address). */
export type ReplyFields = Partial<Omit<ReplyItem, "pk" | "sk">>;

/** One conditional write of a reply item: the transition it makes, and what it changes. */
export interface ReplyWrite {
  transition: ReplyTransitionName;
  /** The caller's claim token (guard ownedByCaller). */
  owner?: string;
  /** The caller's time, epoch ms (guard leaseExpired). */
  now?: number;
  set: ReplyFields;
  remove: readonly (keyof ReplyFields)[];
  /** Counts one more attempt (attempts + 1, from 0 on an item without). */
  addAttempt?: true;
}

/** Whether a write's condition holds for an item as stored (undefined: no item). */
export function writeApplies(write: ReplyWrite, item: ReplyItem | undefined): boolean {
  const { from, guards } = REPLY_TRANSITIONS[write.transition];
  if (!(from as readonly FromState[]).includes(item ? item.status : NO_ITEM)) return false;
  return guards.every((guard) => guardHolds(guard, write, item));
}

function guardHolds(guard: ReplyGuard, write: ReplyWrite, item: ReplyItem | undefined): boolean {
  switch (guard) {
    case "ownedByCaller":
      return item?.owner !== undefined && item.owner === write.owner;
    case "leaseExpired":
      return (
        item?.leaseUntil !== undefined && write.now !== undefined && item.leaseUntil <= write.now
      );
  }
}

/**
 * The item a write leaves, when its condition holds (undefined when it does not): what a store
 * without conditional writes of its own applies, and what a conditional UpdateItem does.
 */
export function applyWrite(
  key: { pk: string; sk: string },
  item: ReplyItem | undefined,
  write: ReplyWrite,
): ReplyItem | undefined {
  if (!writeApplies(write, item)) return undefined;
  const next = { ...item, ...key } as Record<string, unknown>;
  for (const [name, value] of Object.entries(write.set)) {
    if (value !== undefined) next[name] = value;
  }
  for (const name of write.remove) delete next[name];
  if (write.addAttempt) next.attempts = ((item?.attempts as number | undefined) ?? 0) + 1;
  return next as unknown as ReplyItem;
}

/** The conversation fields of a reply's item, set when the item is created (claim or cancel). */
function conversationFields(reply: ScheduledReply): ReplyFields {
  return {
    phone: reply.phone,
    userId: reply.userId,
    role: "bot",
    content: reply.text,
    contentType: reply.attachment ? attachmentContentType(reply.attachment) : "text",
    mediaUrl: reply.attachment ?? null,
    dueAt: reply.dueAt,
    planId: reply.planId,
    seq: reply.seq,
  };
}

const expiresAt = (now: number, ttlSeconds: number) => Math.floor(now / 1000) + ttlSeconds;

/** The writes of {@link REPLY_TRANSITIONS}, built from a port call's input. */
export const replyWrites = {
  claim: (input: ReplyClaimInput): ReplyWrite => ({
    transition: "claim",
    set: {
      status: "SENDING",
      owner: input.owner,
      leaseUntil: input.now + input.leaseMs,
      updatedAt: input.now,
      expiresAt: expiresAt(input.now, input.ttlSeconds),
      ...conversationFields(input.reply),
    },
    remove: [],
    addAttempt: true,
  }),
  markSent: (input: MarkSentInput): ReplyWrite => ({
    transition: "markSent",
    owner: input.owner,
    set: {
      status: "SENT",
      sentAt: input.sentAt,
      at: new Date(input.sentAt).toISOString(),
      updatedAt: input.sentAt,
    },
    remove: ["leaseUntil", "reason"],
  }),
  finish: (input: FinishInput): ReplyWrite => ({
    transition: "finish",
    owner: input.owner,
    set: { status: input.status, reason: input.reason, updatedAt: input.now },
    remove: ["leaseUntil"],
  }),
  markUnknown: (input: MarkUnknownInput): ReplyWrite => ({
    transition: "markUnknown",
    owner: input.owner,
    now: input.now,
    set: { status: "UNKNOWN", reason: UNKNOWN_REASON, updatedAt: input.now },
    remove: ["leaseUntil"],
  }),
  cancel: (input: CancelInput): ReplyWrite => ({
    transition: "cancel",
    set: {
      status: "CANCELLED",
      cancelReason: input.reason,
      updatedAt: input.now,
      expiresAt: expiresAt(input.now, input.ttlSeconds),
      ...conversationFields(input.reply),
    },
    remove: ["leaseUntil"],
  }),
} as const satisfies { [T in ReplyTransitionName]: (input: never) => ReplyWrite };

/**
 * The reply store's protocol over two primitives a store implements: read an item (strongly
 * consistent) and apply a write if its condition holds. The DynamoDB store makes each write one
 * conditional UpdateItem; the tests' in-memory store applies {@link applyWrite}.
 */
export abstract class BaseReplyStore implements ReplyStore {
  /** The item as stored, or undefined. */
  protected abstract readItem(ref: ReplyRef): Promise<ReplyItem | undefined>;
  /** Applies the write if {@link writeApplies} holds for the item as stored; false otherwise. */
  protected abstract applyIfAllowed(ref: ReplyRef, write: ReplyWrite): Promise<boolean>;

  get(ref: ReplyRef): Promise<ReplyItem | undefined> {
    return this.readItem(ref);
  }

  async claim(input: ReplyClaimInput): Promise<ReplyClaimResult> {
    if (await this.applyIfAllowed(input, replyWrites.claim(input))) return { claimed: true };
    return { claimed: false, existing: await this.readItem(input) };
  }

  markSent(input: MarkSentInput): Promise<boolean> {
    return this.applyIfAllowed(input, replyWrites.markSent(input));
  }

  finish(input: FinishInput): Promise<boolean> {
    return this.applyIfAllowed(input, replyWrites.finish(input));
  }

  markUnknown(input: MarkUnknownInput): Promise<boolean> {
    return this.applyIfAllowed(input, replyWrites.markUnknown(input));
  }

  cancel(input: CancelInput): Promise<boolean> {
    return this.applyIfAllowed(input, replyWrites.cancel(input));
  }
}
