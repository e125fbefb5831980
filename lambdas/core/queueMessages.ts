import { z } from "zod";
import type { ScheduledReply, WebhookJob } from "./messages.js";
import type { NormalizedWebhook } from "./webhook.js";

/**
 * Validation of the worker queues' message bodies (shapes in messages.ts). A body that fails here
 * can never succeed, so the worker reports it as failed and SQS redrives it to the DLQ.
 */

/** A queue message body that is not the expected shape; the message names the field. */
export class InvalidQueueMessageError extends Error {
  override name = "InvalidQueueMessageError";
}

const nullableString = z.string().nullable();

const entrySchema = z.looseObject({
  role: z.string(),
  content: z.string(),
  timestamp: nullableString.default(null),
  timestampMs: z.number().nullable().default(null),
  contentType: nullableString.default(null),
  mediaUrl: nullableString.default(null),
});

// Only the fields the workers read are checked (absent ones default to "unknown"); the rest of
// NormalizedWebhook passes through untouched.
const webhookSchema = z.looseObject({
  phone: z.string().regex(/^\d{1,20}$/, "must be digits only"),
  userId: nullableString.default(null),
  lastMessageOfUser: nullableString.default(null),
  lastMessageOfBot: nullableString.default(null),
  userLastMessageTimeMs: z.number().nullable().default(null),
  botLastMessageTimeMs: z.number().nullable().default(null),
  lastMessages: z.array(entrySchema).default([]),
  incomingMessage: z.boolean().nullable().default(null),
});

const webhookJobSchema = z.looseObject({
  kind: z.literal("webhook-job"),
  version: z.literal(1),
  key: z.string().min(1),
  acceptedAt: z.number().int().nonnegative(),
  webhook: webhookSchema,
});

const scheduledReplySchema = z.looseObject({
  kind: z.literal("scheduled-reply"),
  version: z.literal(1),
  planId: z.string().min(1),
  seq: z.number().int().nonnegative(),
  total: z.number().int().positive(),
  phone: z.string().regex(/^\d{1,20}$/, "must be digits only"),
  userId: nullableString,
  text: z.string().min(1),
  attachment: z.string().optional(),
  filename: z.string().optional(),
  dueAt: z.number().int().nonnegative(),
});

function parseBody<T>(body: string, schema: z.ZodType, what: string): T {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new InvalidQueueMessageError(`${what}: body is not JSON`);
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue?.path.map(String).join(".") || "body";
    throw new InvalidQueueMessageError(`${what}: ${field}: ${issue?.message ?? "invalid"}`);
  }
  return result.data as T;
}

/** Parses a jobs-queue body. @throws InvalidQueueMessageError */
export function parseWebhookJob(body: string): WebhookJob & { webhook: NormalizedWebhook } {
  return parseBody(body, webhookJobSchema, "webhook job");
}

/** Parses a replies-queue body. @throws InvalidQueueMessageError */
export function parseScheduledReply(body: string): ScheduledReply {
  const reply = parseBody<ScheduledReply>(body, scheduledReplySchema, "scheduled reply");
  if (reply.seq >= reply.total) {
    throw new InvalidQueueMessageError(
      `scheduled reply: seq ${reply.seq} is outside a plan of ${reply.total}`,
    );
  }
  return reply;
}
