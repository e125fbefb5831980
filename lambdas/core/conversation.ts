import { createHash } from "node:crypto";
import { OPT_OUT_LANGUAGES, type OptOutLanguage } from "../contract.js";
import type { NormalizedWebhook, ScheduledReply } from "./messages.js";

/**
 * The conversation model: one contact (a phone number), the one message each webhook carries, and
 * what a contact's state means for a plan and its replies. Pure: the responder (respondToJob.ts)
 * and the sender (deliverReply.ts) decide with these functions, the adapters store the results,
 * the ops CLI reads the same states. docs/scheduling.md ("Plans and contacts") explains them.
 *
 * One DynamoDB table, one partition per contact (TABLES.conversation, pk = "PHONE#<digits>"):
 *   sk = "CONTACT"                   the contact's state ({@link ContactState}); no TTL
 *   sk = "MSG#<ISO time>#<role>#<h>"  the message one webhook carried, with the reply plan it got
 *                                    (conversationLog.ts), stored before any reply is queued
 *   sk = "REPLY#<planId>#<seq>"      one reply: its reply item: send state and text
 */

// ── The message a webhook carries ───────────────────────────────────────────────────────────

/** The one message of a webhook: who wrote it, when (vendor time), what. */
export interface WebhookMessage {
  direction: "in" | "out";
  /** The vendor's time of this message (epoch ms), null when the payload carries none. */
  timeMs: number | null;
  /** Its text; "" for media without caption. */
  text: string;
  /** The attachment URL without query or fragment ("" when none). */
  attachmentPath: string;
}

/**
 * The message of a webhook. An incoming webhook (`incoming_message` absent counts as incoming,
 * as older payloads are incoming-only) is about the customer's last message; an outgoing one about
 * the business's. Everything else in the payload (history, the other side's last message, labels)
 * is a snapshot of the conversation and may differ between deliveries of the same message.
 */
export function webhookMessage(webhook: NormalizedWebhook): WebhookMessage {
  const incoming = webhook.incomingMessage !== false;
  return {
    direction: incoming ? "in" : "out",
    timeMs: incoming ? webhook.userLastMessageTimeMs : webhook.botLastMessageTimeMs,
    text: (incoming ? webhook.lastMessageOfUser : webhook.lastMessageOfBot) ?? "",
    attachmentPath: withoutQuery(webhook.attachmentUrl),
  };
}

/**
 * The message key (docs/vendor.md "Idempotency"): SHA-256 hex of the contact, the
 * direction, the message's own time (whole seconds: a payload in seconds and one in milliseconds
 * agree) and its text and attachment. The receiver uses it as the idempotency key / SQS
 * deduplication id; the responder as the long-window claim on the contact.
 */
export function messageKey(webhook: NormalizedWebhook): string {
  const message = webhookMessage(webhook);
  const tuple = [
    "message/v2",
    webhook.phone,
    message.direction,
    message.timeMs === null ? 0 : Math.floor(message.timeMs / 1000),
    message.text,
    message.attachmentPath,
  ];
  return createHash("sha256").update(JSON.stringify(tuple), "utf8").digest("hex");
}

function withoutQuery(url: string | null): string {
  if (url === null) return "";
  return url.trim().replace(/[?#].*$/s, "");
}

/**
 * The plan id of a message: derived from its key, so every delivery of one message yields the
 * same plan, and with it the same reply items (REPLY#<planId>#<seq>).
 */
export function planIdFor(messageKey: string): string {
  return `plan_${createHash("sha256").update(messageKey).digest("hex").slice(0, 32)}`;
}

/** What a webhook's message is to automation. */
export type MessageRole =
  /** The customer wrote: it may get a plan. */
  | "customer"
  /** A person at the business typed it (phone app, inbox): automation steps back. */
  | "human"
  /** Our own sends echoed back, other automations: logged only. */
  | "business";

/** Strict booleans: "no", "yes" or absent never count as a person typing. */
export function messageRole(webhook: NormalizedWebhook): MessageRole {
  if (webhook.incomingMessage !== false) return "customer";
  return webhook.wasMessageByHuman === true ? "human" : "business";
}

// ── Opt-out and start words ─────────────────────────────────────────────────────────────────

/** A stack's opt-out vocabulary (OPT_OUT env; infra/config.ts builds it from `languages`). */
export interface OptOutSettings {
  stopWords: readonly string[];
  startWords: readonly string[];
  /** The one confirmation sent after a stop word; "" sends none. */
  confirmation: string;
}

/** The defaults for the declared languages (contract.ts OPT_OUT_LANGUAGES; English always in). */
export function defaultOptOut(languages: readonly string[]): OptOutSettings {
  const english = OPT_OUT_LANGUAGES.en;
  const known = languages.flatMap((code) => {
    const language = OPT_OUT_LANGUAGES[code.toLowerCase() as OptOutLanguage];
    return language ? [language] : [];
  });
  const all = [english, ...known];
  return {
    stopWords: [...new Set(all.flatMap((l) => l.stop))],
    startWords: [...new Set(all.flatMap((l) => l.start))],
    confirmation: (known[0] ?? english).confirmation,
  };
}

/** Case, accents, punctuation and spacing aside. */
function normalizeWord(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/\p{M}/gu, "")
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim()
    .toUpperCase();
}

/** "stop", "start", or null for any other message. */
export function optOutIntent(text: string, settings: OptOutSettings): "stop" | "start" | null {
  const word = normalizeWord(text);
  if (word === "") return null;
  if (settings.stopWords.some((w) => normalizeWord(w) === word)) return "stop";
  if (settings.startWords.some((w) => normalizeWord(w) === word)) return "start";
  return null;
}

// ── The contact ─────────────────────────────────────────────────────────────────────────────

/** Why replies were cancelled or a message got no plan. */
export type CancelReason = "superseded" | "human" | "opt-out" | "operator";

/** The CONTACT item (sk "CONTACT"); every field but pk/sk/phone is absent until first set. */
export interface ContactState {
  pk: string;
  sk: "CONTACT";
  phone: string;
  /** Vendor time (ms) of the newest customer message claimed; acceptance time when it had none. */
  lastInboundAt?: number;
  /** Its message key: the long-window idempotency claim. */
  lastInboundKey?: string;
  /** When the receiver accepted it (ms): the order of two messages in one vendor second. */
  lastInboundAcceptedAt?: number;
  /** The plan of the newest customer message; replies of other plans are superseded. */
  planId?: string;
  /** Automation paused until (epoch ms). */
  pausedUntil?: number;
  pauseReason?: "human" | "operator";
  /** Replies of plans for messages at or before this time (ms) are cancelled (human, operator). */
  cancelBefore?: number;
  cancelReason?: "human" | "operator";
  optedOut?: boolean;
  /** Time (ms) of the stop word; plans of messages up to it stay cancelled after a start word. */
  optedOutAt?: number;
  /** The plan holding the one confirmation (the only plan an opted-out contact gets). */
  optOutPlanId?: string;
  /** Time (ms) of the last start word or operator resume. */
  optedInAt?: number;
  updatedAt: number;
}

export function contactPk(phone: string): string {
  return `PHONE#${phone}`;
}

/** What the claim on CONTACT found (ReturnValuesOnConditionCheckFailure: ALL_OLD). */
export type MessageClaim =
  /** This is the contact's newest message: its plan is now the contact's plan. */
  | { kind: "newest"; before: ContactState | undefined }
  /** This very message already holds the claim: a redelivered job or a crash resume. */
  | { kind: "same"; contact: ContactState }
  /** A newer message holds it: this one arrived late and gets no plan. */
  | { kind: "older"; contact: ContactState | undefined };

/**
 * Whether a customer message is newer than the contact's newest: by the vendor's time of the
 * message; within one vendor second (its times are whole seconds, and a customer often writes two
 * short messages in one) by when the receiver accepted it, which is the order the vendor delivered
 * them in; then by key, so every worker orders two messages the same way. The adapter's condition
 * expression (DynamoContactStore.claimMessage) says the same in DynamoDB's words.
 * Not judged here: the same key, which is never newer (claimFromOld tells it apart).
 * A message whose first delivery failed and that the vendor retried after a newer one of the same
 * second was accepted later: nothing in the payload can order those two (docs/vendor.md).
 */
export function isNewerMessage(
  contact:
    | Pick<ContactState, "lastInboundAt" | "lastInboundAcceptedAt" | "lastInboundKey">
    | undefined,
  message: { at: number; acceptedAt: number; key: string },
): boolean {
  if (contact?.lastInboundAt === undefined) return true;
  if (contact.lastInboundAt !== message.at) return contact.lastInboundAt < message.at;
  const accepted = contact.lastInboundAcceptedAt;
  if (accepted !== undefined && accepted !== message.acceptedAt)
    return accepted < message.acceptedAt;
  return (contact.lastInboundKey ?? "") < message.key;
}

/** The claim's outcome from the item that made the condition fail. */
export function claimFromOld(old: ContactState | undefined, key: string): MessageClaim {
  return old?.lastInboundKey === key
    ? { kind: "same", contact: old }
    : { kind: "older", contact: old };
}

/** Why a customer message gets no plan, from the contact as it was before this message. */
export function noPlanReason(
  contact: ContactState | undefined,
  at: number,
  intent: "stop" | "start" | null,
): "opted_out" | "paused" | undefined {
  if (intent === "start") return undefined;
  if (contact?.optedOut && intent !== "stop") return "opted_out";
  if (contact?.pausedUntil !== undefined && contact.pausedUntil > at) return "paused";
  return undefined;
}

// ── A reply against the contact ─────────────────────────────────────────────────────────────

/**
 * Whether a reply may still go out, given its contact now: the sender asks right before it claims
 * the reply, the ops CLI to list what is pending. Human takeover, opt-out and an operator's cancel
 * cancel `keep` plans too; only a newer customer message spares them.
 */
export function replyVerdict(
  reply: Pick<ScheduledReply, "planId"> & { planAt?: number; keep?: boolean },
  contact: ContactState | undefined,
  now: number,
): { send: true } | { send: false; reason: CancelReason } {
  if (!contact) return { send: true };
  const isConfirmation = contact.optOutPlanId === reply.planId;
  if (contact.optedOut && !isConfirmation) return { send: false, reason: "opt-out" };
  const planAt = reply.planAt;
  if (
    planAt !== undefined &&
    contact.optedOutAt !== undefined &&
    planAt <= contact.optedOutAt &&
    !isConfirmation
  ) {
    return { send: false, reason: "opt-out" };
  }
  if (contact.pausedUntil !== undefined && contact.pausedUntil > now) {
    return { send: false, reason: contact.pauseReason ?? "human" };
  }
  if (
    planAt !== undefined &&
    contact.cancelBefore !== undefined &&
    planAt <= contact.cancelBefore
  ) {
    return { send: false, reason: contact.cancelReason ?? "human" };
  }
  // The one opt-out confirmation is never superseded: a customer who writes "STOP" twice, or
  // "ok" right after, still gets the confirmation the docs promise.
  if (
    contact.planId !== undefined &&
    contact.planId !== reply.planId &&
    !reply.keep &&
    !isConfirmation
  ) {
    return { send: false, reason: "superseded" };
  }
  return { send: true };
}
