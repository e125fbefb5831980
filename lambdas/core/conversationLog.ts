import { type ContactState, contactPk, replyVerdict, type WebhookMessage } from "./conversation.js";
import type { SentMarker } from "./deliverReply.js";
import type { NormalizedWebhook } from "./messages.js";
import type { ReplyPlanMessage } from "./replyRules.js";

/**
 * The items of the conversation table besides CONTACT (core/conversation.ts) and the replies
 * (core/deliverReply.ts, REPLY#…): the message each webhook carried, and each reply plan.
 *
 * Only the webhook's own message is written, not the `last_messages` window every webhook carries
 * (up to ~20 items, ~20 WRU per webhook): the window repeats what earlier webhooks already logged,
 * and the replies log themselves (REPLY items). A message that only ever appears in a window
 * (sent while the stack was down, or before it existed) is not logged.
 */

/** Why a message got no plan; kept on its MSG item and in the log line. */
export type NoReplyReason =
  | "invalid_phone"
  | "older_than_newest"
  | "opted_out"
  | "paused"
  | "no_rule_matched"
  | "already_opted_out"
  | "outgoing"
  /** The HTTP reply policy was unavailable on every attempt; the job went to the jobs DLQ. */
  | "policy_unavailable";

/** One MSG item: the message one webhook carried. */
export interface ConversationItem {
  pk: string;
  /** "MSG#<ISO time>#<role>#<key prefix>": a partition's messages sort by time. */
  sk: string;
  phone: string;
  userId: string | null;
  /** "user" (the customer) or "bot" (the business: a person, our sends, other automations). */
  role: "user" | "bot";
  content: string;
  contentType: string | null;
  mediaUrl: string | null;
  /** ISO time of the message (the vendor's; the acceptance time when it sent none). */
  at: string;
  source: "webhook";
  /** The message key (core/conversation.ts messageKey). */
  messageKey: string;
  /** Outgoing messages: typed by a person at the business (`was_message_by_human` true). */
  human?: boolean;
  sendBy?: string;
  /** The plan this message got. */
  planId?: string;
  noReplyReason?: NoReplyReason;
  /** Informational fields of unexpected types, kept raw and ignored (parseWebhook warnings). */
  warnings?: string[];
  /** Epoch seconds; DynamoDB TTL deletes the item after this. */
  expiresAt: number;
}

/** The MSG item of a webhook's message. */
export function messageItem(
  webhook: NormalizedWebhook,
  message: WebhookMessage,
  options: {
    key: string;
    /** The message's time for ordering (ms): vendor time, else acceptance. */
    at: number;
    ttlSeconds: number;
    planId?: string;
    noReplyReason?: NoReplyReason;
  },
): ConversationItem {
  const role = message.direction === "in" ? "user" : "bot";
  const at = new Date(options.at).toISOString();
  const item: ConversationItem = {
    pk: contactPk(webhook.phone),
    sk: `MSG#${at}#${role}#${options.key.slice(0, 16)}`,
    phone: webhook.phone,
    userId: webhook.userId,
    role,
    content: message.text,
    contentType: webhook.messageType ?? (webhook.attachmentUrl ? null : "text"),
    mediaUrl: webhook.attachmentUrl,
    at,
    source: "webhook",
    messageKey: options.key,
    expiresAt: Math.floor(options.at / 1000) + options.ttlSeconds,
  };
  if (message.direction === "out" && webhook.wasMessageByHuman !== null) {
    item.human = webhook.wasMessageByHuman;
  }
  if (webhook.sendBy) item.sendBy = webhook.sendBy;
  if (options.planId) item.planId = options.planId;
  if (options.noReplyReason) item.noReplyReason = options.noReplyReason;
  if (webhook.warnings.length) item.warnings = webhook.warnings;
  return item;
}

// ── Plans ──────────────────────────────────────────────────────────────────────────────────

/** Where a plan came from. */
export type PlanSource = "policy" | "opt-out-confirmation";

/** One message of a stored plan. */
export interface PlanMessage {
  seq: number;
  text: string;
  attachment?: string;
  filename?: string;
  /** Epoch ms. */
  dueAt: number;
}

/**
 * The PLAN item (sk "PLAN#<planId>"): written once, before any of its replies is queued, so a
 * redelivered job (a crash between this write and the last enqueue) re-queues the same replies
 * instead of asking the policy again.
 */
export interface PlanItem {
  pk: string;
  sk: string;
  planId: string;
  phone: string;
  userId: string | null;
  messageKey: string;
  /** The message's time (ms): replies of plans at or before a takeover or stop word are cancelled. */
  planAt: number;
  acceptedAt: number;
  /** The rule said `onNewMessage: "keep"`: a newer customer message does not cancel it. */
  keep: boolean;
  source: PlanSource;
  /** [] when the policy answered no reply. */
  messages: PlanMessage[];
  createdAt: number;
  expiresAt: number;
}

export function planSk(planId: string): string {
  return `PLAN#${planId}`;
}

/** A plan from a policy's (validated) messages; dueAt = acceptedAt + delayMs. */
export function planItem(input: {
  planId: string;
  webhook: NormalizedWebhook;
  messageKey: string;
  planAt: number;
  acceptedAt: number;
  keep: boolean;
  source: PlanSource;
  messages: readonly ReplyPlanMessage[];
  now: number;
  ttlSeconds: number;
}): PlanItem {
  const messages = input.messages.map((message, seq) => {
    const planned: PlanMessage = {
      seq,
      text: message.text,
      dueAt: input.acceptedAt + message.delayMs,
    };
    if (message.attachment) planned.attachment = message.attachment;
    if (message.filename) planned.filename = message.filename;
    return planned;
  });
  const lastDue = messages.at(-1)?.dueAt ?? input.acceptedAt;
  return {
    pk: contactPk(input.webhook.phone),
    sk: planSk(input.planId),
    planId: input.planId,
    phone: input.webhook.phone,
    userId: input.webhook.userId,
    messageKey: input.messageKey,
    planAt: input.planAt,
    acceptedAt: input.acceptedAt,
    keep: input.keep,
    source: input.source,
    messages,
    createdAt: input.now,
    expiresAt: Math.floor(lastDue / 1000) + input.ttlSeconds,
  };
}

/** The vendor's content type for an attachment URL, from its extension (docs/vendor.md, "Send API"). */
export function attachmentContentType(url: string): string {
  const extension = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(url)?.[1]?.toLowerCase() ?? "";
  if (["jpg", "jpeg", "png", "webp"].includes(extension)) return "image";
  if (["mp4", "3gp"].includes(extension)) return "video";
  if (["mp3", "aac", "m4a", "ogg", "amr"].includes(extension)) return "audio";
  return "document";
}

// ── One contact's partition, read back (ops CLI, tests) ──────────────────────────────────────

/** A line of a contact's timeline: a message it wrote or got, or a reply sent or not. */
export interface TimelineEntry {
  /** ISO time: the message's time, a reply's sent time (else its due time). */
  at: string;
  role: "user" | "bot";
  content: string;
  /** MSG items: "message"; REPLY items: their status (SENT, CANCELLED, SENDING, …). */
  kind: string;
  planId?: string;
  seq?: number;
  /** noReplyReason of a message, cancelReason or failure reason of a reply. */
  note?: string;
}

/** Everything a contact's partition holds, sorted out (items as the table returns them). */
export interface ContactView {
  contact: ContactState | undefined;
  messages: ConversationItem[];
  plans: PlanItem[];
  replies: SentMarker[];
  /** Messages and replies in time order. */
  timeline: TimelineEntry[];
}

/** Sorts a partition's items into a {@link ContactView}. */
export function contactView(rawItems: readonly object[]): ContactView {
  const items = rawItems as readonly Record<string, unknown>[];
  const bySk = (prefix: string) => items.filter((i) => String(i.sk).startsWith(prefix));
  const contact = items.find((i) => i.sk === "CONTACT") as ContactState | undefined;
  const messages = bySk("MSG#") as unknown as ConversationItem[];
  const plans = bySk("PLAN#") as unknown as PlanItem[];
  const replies = bySk("REPLY#") as unknown as SentMarker[];
  const timeline: TimelineEntry[] = [
    ...messages.map((m) => ({
      at: m.at,
      role: m.role,
      content: m.content,
      kind: "message",
      ...(m.planId ? { planId: m.planId } : {}),
      ...(m.noReplyReason ? { note: m.noReplyReason } : {}),
    })),
    ...replies.map((r) => ({
      at: r.at ?? (r.dueAt === undefined ? "" : new Date(r.dueAt).toISOString()),
      role: "bot" as const,
      content: r.content ?? "",
      kind: r.status,
      planId: r.planId,
      seq: r.seq,
      ...(r.cancelReason || r.reason ? { note: r.cancelReason ?? r.reason } : {}),
    })),
  ].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return { contact, messages, plans, replies, timeline };
}

/** A reply of a stored plan that has not gone out and that the contact still allows. */
export interface PendingReply {
  planId: string;
  seq: number;
  text: string;
  /** Epoch ms. */
  dueAt: number;
  keep: boolean;
  /** The reply item's state when a send was tried and released (RETRY, SENDING), else "SCHEDULED". */
  status: string;
}

/**
 * What is still to be sent to a contact (the ops CLI's `pending`): every message of its stored
 * plans without a finished reply item, that {@link replyVerdict} would still send at `now`.
 */
export function pendingReplies(view: ContactView, now: number): PendingReply[] {
  const finished = new Set(["SENT", "FAILED", "UNKNOWN", "GAVE_UP", "CANCELLED"]);
  const state = new Map(view.replies.map((r) => [`${r.planId}#${r.seq}`, r.status as string]));
  return view.plans
    .flatMap((plan) =>
      plan.messages.map((m) => ({
        planId: plan.planId,
        seq: m.seq,
        text: m.text,
        dueAt: m.dueAt,
        keep: plan.keep,
        planAt: plan.planAt,
        status: state.get(`${plan.planId}#${m.seq}`) ?? "SCHEDULED",
      })),
    )
    .filter((r) => !finished.has(r.status) && replyVerdict(r, view.contact, now).send)
    .map(({ planAt: _planAt, ...reply }) => reply)
    .sort((a, b) => a.dueAt - b.dueAt);
}
