import type { NormalizedWebhook } from "./webhook.js";

/** Receiver → responder: one per accepted (non-duplicate) webhook delivery. */
export interface WebhookJob {
  kind: "webhook-job";
  version: 1;
  /** The derived idempotency key of the delivery. */
  key: string;
  /** Epoch ms when the receiver accepted the delivery; reply delays are offsets from here. */
  acceptedAt: number;
  webhook: NormalizedWebhook;
}

/** Responder → sender: one per reply message, delivered at (or hopped towards) dueAt. */
export interface ScheduledReply {
  kind: "scheduled-reply";
  version: 1;
  /** Stable id of the reply plan (derived from the job key, so a redelivered job yields the same plan). */
  planId: string;
  /** 0-based position in the plan; messages go out in seq order. */
  seq: number;
  /** Number of messages in the plan. */
  total: number;
  /** Digits-only phone number of the contact. */
  phone: string;
  userId: string | null;
  text: string;
  attachment?: string;
  filename?: string;
  /** Epoch ms when the message is due. */
  dueAt: number;
}

/** SQS's largest message body, in bytes (1 MiB; the queues are created with this maximum). */
export const SQS_MAX_MESSAGE_BYTES = 1_048_576;

/**
 * A queue message body as it goes to SQS: JSON, with the characters SQS refuses (U+FFFE/U+FFFF,
 * and in fauxqs every astral character, emoji included) as \u escapes, which parse back to the
 * same text.
 */
export function encodeQueueMessage(body: unknown): string {
  return JSON.stringify(body).replace(
    /[\ud800-\udfff\ufffe\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16)}`,
  );
}
