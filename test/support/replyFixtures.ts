import {
  type NormalizedWebhook,
  type ScheduledReply,
  type WebhookJob,
  webhookFrom,
} from "../../lambdas/core/messages.js";

/** A normalized incoming webhook with sensible defaults (tests override what they need). */
export function aWebhook(overrides: Partial<NormalizedWebhook> = {}): NormalizedWebhook {
  return webhookFrom({
    phone: "14155552671",
    userId: "2f0c6b7e-9a55-4a43-9b8f-7d0f7f1c0a11",
    recipientName: "Ada",
    lastMessageOfUser: "hello there",
    messageType: "text",
    userLastMessageTimeMs: Date.parse("2026-11-20T10:00:00.000Z"),
    lastMessages: [
      {
        role: "user",
        content: "hello there",
        timestamp: "2026-11-20T10:00:00.000Z",
        timestampMs: Date.parse("2026-11-20T10:00:00.000Z"),
        contentType: "text",
        mediaUrl: null,
      },
    ],
    incomingMessage: true,
    ...overrides,
  });
}

/** A job as the receiver enqueues it. */
export function aJob(overrides: Partial<WebhookJob> = {}): WebhookJob {
  return {
    kind: "webhook-job",
    version: 1,
    key: "idem_abc123",
    acceptedAt: Date.parse("2026-11-20T10:00:01.000Z"),
    webhook: aWebhook(),
    ...overrides,
  };
}

/** A scheduled reply as the responder enqueues it. */
export function aReply(overrides: Partial<ScheduledReply> = {}): ScheduledReply {
  return {
    kind: "scheduled-reply",
    version: 1,
    planId: "plan_0123456789abcdef",
    seq: 0,
    total: 1,
    phone: "14155552671",
    userId: "2f0c6b7e-9a55-4a43-9b8f-7d0f7f1c0a11",
    text: "Hi! Thanks for writing.",
    dueAt: Date.parse("2026-11-20T10:00:01.000Z"),
    ...overrides,
  };
}
