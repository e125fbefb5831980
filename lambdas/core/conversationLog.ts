import { createHash } from "node:crypto";
import type { ConversationEntry, NormalizedWebhook, ScheduledReply } from "./messages.js";
import type { ReplyPlanMessage } from "./replyRules.js";

/**
 * The conversation log: every message of every conversation, one DynamoDB item each
 * (TABLES.conversation in contract.ts).
 *
 * Keys are derived from the message itself, never from the delivery, so the overlapping
 * `last_messages` windows of consecutive webhooks (each carries the last ~20 messages) and
 * redelivered jobs write the same items again instead of new ones:
 *   pk     = "PHONE#<digits>"                         → one customer's history, over time
 *   sk     = "MSG#<ISO time>#<role>#<content hash>"   → time-ordered; "undated" when the vendor sent no time
 *   gsi1pk = "USER#<user_id>", gsi1sk = sk            → one vendor user's history (sparse: only when known)
 */

/** Sort-key time for entries the vendor sent without a timestamp (sorts after every ISO date). */
export const UNDATED = "undated";

/** Where a logged message came from. */
export type ConversationSource = "webhook" | "sender";

/** One item of the conversation table. */
export interface ConversationItem {
  pk: string;
  sk: string;
  gsi1pk?: string;
  gsi1sk?: string;
  phone: string;
  userId: string | null;
  /** "user" (customer) or "bot" (business), lower-cased; other vendor values kept. */
  role: string;
  content: string;
  contentType: string | null;
  mediaUrl: string | null;
  /** ISO time of the message, null when the vendor sent none. */
  at: string | null;
  source: ConversationSource;
  /** For replies logged by the sender. */
  planId?: string;
  seq?: number;
  /** Epoch seconds; DynamoDB TTL deletes the item after this. */
  expiresAt: number;
}

/** The partition of one contact: its messages and its plans. */
export function contactPk(phone: string): string {
  return `PHONE#${phone}`;
}

function keyPart(value: string): string {
  return value.toLowerCase().replace(/#/g, "_");
}

function contentHash(role: string, content: string, contentType: string | null): string {
  // The media URL is left out on purpose: vault URLs may differ between deliveries of one message.
  return createHash("sha256")
    .update(JSON.stringify([role, content, contentType ?? ""]))
    .digest("hex")
    .slice(0, 16);
}

/** The table keys of one message. */
export function conversationKeys(input: {
  phone: string;
  userId: string | null;
  role: string;
  content: string;
  contentType: string | null;
  timeMs: number | null;
}): Pick<ConversationItem, "pk" | "sk" | "gsi1pk" | "gsi1sk"> {
  const role = keyPart(input.role);
  const time = input.timeMs === null ? UNDATED : new Date(input.timeMs).toISOString();
  const sk = `MSG#${time}#${role}#${contentHash(role, input.content, input.contentType)}`;
  const keys: Pick<ConversationItem, "pk" | "sk" | "gsi1pk" | "gsi1sk"> = {
    pk: contactPk(input.phone),
    sk,
  };
  if (input.userId) {
    keys.gsi1pk = `USER#${input.userId}`;
    keys.gsi1sk = sk;
  }
  return keys;
}

function validTime(ms: number | null): number | null {
  return ms !== null && Number.isFinite(ms) && !Number.isNaN(new Date(ms).getTime()) ? ms : null;
}

/**
 * The messages of a webhook: its `last_messages`, plus the `last_message_of_user/bot` fields when
 * the history does not already hold that text (older payloads send no history).
 */
export function webhookEntries(webhook: NormalizedWebhook): ConversationEntry[] {
  const entries = [...webhook.lastMessages];
  const addIfMissing = (role: string, content: string | null, timeMs: number | null) => {
    if (content === null) return;
    if (entries.some((e) => keyPart(e.role) === role && e.content === content)) return;
    entries.push({
      role,
      content,
      timestamp: timeMs === null ? null : new Date(timeMs).toISOString(),
      timestampMs: timeMs,
      contentType: role === "user" ? webhook.messageType : null,
      mediaUrl: role === "user" ? webhook.attachmentUrl : null,
    });
  };
  addIfMissing("user", webhook.lastMessageOfUser, webhook.userLastMessageTimeMs);
  addIfMissing("bot", webhook.lastMessageOfBot, webhook.botLastMessageTimeMs);
  return entries;
}

/**
 * The conversation items of one accepted webhook, de-duplicated by key.
 * @param acceptedAt epoch ms; the retention clock of undated messages.
 */
export function conversationItemsFromWebhook(
  webhook: NormalizedWebhook,
  options: { acceptedAt: number; ttlSeconds: number },
): ConversationItem[] {
  const items = new Map<string, ConversationItem>();
  for (const entry of webhookEntries(webhook)) {
    const timeMs = validTime(entry.timestampMs);
    const keys = conversationKeys({
      phone: webhook.phone,
      userId: webhook.userId,
      role: entry.role,
      content: entry.content,
      contentType: entry.contentType,
      timeMs,
    });
    items.set(keys.sk, {
      ...keys,
      phone: webhook.phone,
      userId: webhook.userId,
      role: keyPart(entry.role),
      content: entry.content,
      contentType: entry.contentType,
      mediaUrl: entry.mediaUrl,
      at: timeMs === null ? null : new Date(timeMs).toISOString(),
      source: "webhook",
      expiresAt: Math.floor((timeMs ?? options.acceptedAt) / 1000) + options.ttlSeconds,
    });
  }
  return [...items.values()];
}

/** The vendor's content type for an attachment URL, from its extension (docs/vendor.md, "Send API"). */
export function attachmentContentType(url: string): string {
  const extension = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(url)?.[1]?.toLowerCase() ?? "";
  if (["jpg", "jpeg", "png", "webp"].includes(extension)) return "image";
  if (["mp4", "3gp"].includes(extension)) return "video";
  if (["mp3", "aac", "m4a", "ogg", "amr"].includes(extension)) return "audio";
  return "document";
}

/** The conversation item of a reply the sender delivered at `sentAt` (epoch ms). */
export function botReplyItem(
  reply: ScheduledReply,
  sentAt: number,
  options: { ttlSeconds: number },
): ConversationItem {
  const contentType = reply.attachment ? attachmentContentType(reply.attachment) : "text";
  const keys = conversationKeys({
    phone: reply.phone,
    userId: reply.userId,
    role: "bot",
    content: reply.text,
    contentType,
    timeMs: sentAt,
  });
  return {
    ...keys,
    phone: reply.phone,
    userId: reply.userId,
    role: "bot",
    content: reply.text,
    contentType,
    mediaUrl: reply.attachment ?? null,
    at: new Date(sentAt).toISOString(),
    source: "sender",
    planId: reply.planId,
    seq: reply.seq,
    expiresAt: Math.floor(sentAt / 1000) + options.ttlSeconds,
  };
}

// ── Plans ──────────────────────────────────────────────────────────────────────────────────
// The shape of issue 13's PLAN item (branch h13), so that its responder and this one store and
// read the same item: PlanItem, planSk and planItem match it field for field.

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
 * redelivered job (a crash between this write and the last enqueue, a vendor retry that became a
 * second job) queues the same replies again instead of asking the policy again. That is what
 * makes an HTTP policy see each job once.
 */
export interface PlanItem {
  pk: string;
  sk: string;
  planId: string;
  phone: string;
  userId: string | null;
  messageKey: string;
  /** The message's time (ms). */
  planAt: number;
  acceptedAt: number;
  /** A newer customer message does not cancel it (issue 13's `onNewMessage: "keep"`). */
  keep: boolean;
  source: PlanSource;
  /** [] when the policy answered no reply: stored too, so "no reply" is not asked again either. */
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
