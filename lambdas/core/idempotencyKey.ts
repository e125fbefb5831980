import { createHash } from "node:crypto";
import type { NormalizedWebhook } from "./webhook.js";

/**
 * The idempotency key of a webhook delivery: SHA-256 (hex) of a canonical tuple of normalized
 * fields.
 *
 * Why derived: the vendor's payload carries no event, message or delivery id (research/vendor.md
 * §1.4, ambiguity 7), and the docs only ask receivers to "implement idempotency handling". The
 * vendor's own suggestions (`user_id` + `user_last_message_time`, or `phone_number` +
 * `user_last_message_time`) merge two messages sent in the same second and ignore business-sent
 * (outgoing) deliveries, so the tuple adds direction, the bot's time and the message itself.
 *
 * Why these fields, and only normalized ones:
 * - phone (digits only), user id (lower-cased), direction, the user's and bot's last-message
 *   times (normalized to epoch ms, then cut to whole seconds: a payload in seconds and one in
 *   milliseconds must agree), the message type, the last user and bot texts, and the attachment URL:
 *   together they identify one message event, and two distinct messages differ in at least one.
 * - They are read from the NormalizedWebhook, so the same event encoded as another variant
 *   (string vs number phone, "+" or not, seconds vs milliseconds, old vs new field names,
 *   `last_messages` as string or array, flat or enveloped) yields the same key.
 * - Left out on purpose: `last_messages`, `conversation_paragraph`, labels, notes, `send_by`,
 *   `referral` and unknown fields. They describe the conversation or contact rather than the
 *   event and may be rebuilt differently when the vendor redelivers; a retry must still match.
 * - Direction: `incoming_message` absent counts as incoming (older payloads are incoming-only),
 *   so a V2 payload and its V3 form (`incoming_message: true`) agree.
 * - The attachment URL loses its query string and fragment: signed-URL parameters may be
 *   re-issued on a redelivery while the path names the same file.
 * - "" and absent texts are the same (a media message without caption).
 *
 * Known limit: two identical messages (same texts, same times) from one contact are the same
 * key. With times present that needs the same second; when the vendor sends no times at all,
 * identical texts from one contact are merged within the idempotency TTL.
 */
export function idempotencyKey(webhook: NormalizedWebhook): string {
  const tuple = [
    "webhook/v1",
    webhook.phone,
    webhook.userId?.trim().toLowerCase() ?? "",
    webhook.incomingMessage === false ? "out" : "in",
    wholeSeconds(webhook.userLastMessageTimeMs),
    wholeSeconds(webhook.botLastMessageTimeMs),
    webhook.messageType?.trim().toLowerCase() ?? "",
    webhook.lastMessageOfUser ?? "",
    webhook.lastMessageOfBot ?? "",
    withoutQuery(webhook.attachmentUrl),
  ];
  return createHash("sha256").update(JSON.stringify(tuple), "utf8").digest("hex");
}

function wholeSeconds(ms: number | null): number {
  return ms === null ? 0 : Math.floor(ms / 1000);
}

function withoutQuery(url: string | null): string {
  if (url === null) return "";
  return url.trim().replace(/[?#].*$/s, "");
}
