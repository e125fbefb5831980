import { messageKey } from "./conversation.js";
import { PayloadError } from "./errors.js";
import {
  encodeQueueMessage,
  type NormalizedWebhook,
  SQS_MAX_MESSAGE_BYTES,
  type WebhookJob,
} from "./messages.js";
import { parseWebhook } from "./parseWebhook.js";
import type { Clock, MessageQueue, SecretSource } from "./ports.js";
import {
  parseSigningSecrets,
  type SignatureFailure,
  type SignatureScheme,
  type SignatureVerdict,
  verifySignature,
} from "./signature.js";

/** Receiver settings (from the handler's env; see FUNCTION_ENV.receiver). */
export interface ReceiverSettings {
  scheme: SignatureScheme;
}

export interface ReceiverDependencies {
  /** The signing secret (SigningSecretDocument JSON or a plain string); unused when scheme is off. */
  secrets: SecretSource;
  /** The FIFO jobs queue (JOBS_QUEUE in contract.ts). */
  jobs: MessageQueue;
  /** When a job was accepted (the plan's delays count from it). */
  clock: Pick<Clock, "now">;
}

/** One webhook delivery as received: raw body bytes (base64 decoded) and the signature header. */
export interface Delivery {
  body: Uint8Array;
  signature: string | undefined;
}

/** A dependency that failed; the vendor should retry later. */
type Dependency = "secrets" | "queue";

export type ReceiveOutcome =
  /** SQS has the job (or, for a repeat inside its deduplication window, already had it). */
  | { outcome: "accepted"; key: string; webhook: NormalizedWebhook; job: WebhookJob }
  | { outcome: "unauthorized"; reason: SignatureFailure }
  | { outcome: "invalid"; error: PayloadError }
  | {
      outcome: "unavailable";
      dependency: Dependency;
      error: unknown;
      retryAfterSeconds: number;
      key?: string;
      webhook?: NormalizedWebhook;
    };

/** Retry-After for a failed dependency: long enough for a blip to pass, short for the vendor. */
const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

/**
 * The receiver use case: verify the signature over the raw bytes → parse → derive the message
 * key → one SendMessage to the FIFO jobs queue. No other AWS call on this path (the signing
 * secret is cached across deliveries).
 *
 * Why one call is enough (docs/benchmarks.md, "Decision: one call on the receiver"):
 * - Durable: a 200 is only answered once SQS acknowledged the SendMessage; any failure is a 503
 *   and the vendor retries. Nothing is written anywhere else that could disagree with the queue.
 * - Repeats: MessageDeduplicationId = the key, so SQS keeps one job per key over its 5-minute
 *   window, concurrent repeats included, and answers a repeat exactly as the first (the receiver
 *   cannot tell them apart, so both answer `accepted`; the contract allows it). A repeat after the
 *   window becomes a second job for the same key, which the responder recognises (the plan id and
 *   the reply items derive from the key; the contact's conditional write is the long-window
 *   claim): never a second plan or reply.
 * - Order: MessageGroupId = the contact's digits, so one contact's jobs reach the responder in
 *   the order they were accepted, one at a time.
 */
export class WebhookReceiver {
  private parsedSecrets: { source: string; secrets: string[] } | null = null;

  constructor(
    private readonly deps: ReceiverDependencies,
    private readonly settings: ReceiverSettings,
  ) {}

  async receive(delivery: Delivery): Promise<ReceiveOutcome> {
    let verdict: SignatureVerdict;
    try {
      verdict = await this.verify(delivery);
    } catch (error) {
      return unavailable("secrets", error);
    }
    if (!verdict.valid) return { outcome: "unauthorized", reason: verdict.reason };

    let webhook: NormalizedWebhook;
    try {
      webhook = parseWebhook(delivery.body);
    } catch (error) {
      if (error instanceof PayloadError) return { outcome: "invalid", error };
      throw error;
    }
    const key = idempotencyKey(webhook);
    const job: WebhookJob = {
      kind: "webhook-job",
      version: 1,
      key,
      acceptedAt: this.deps.clock.now(),
      webhook,
    };
    // A job SQS would refuse fails on every vendor retry: refuse the delivery now instead. The
    // normalised webhook can be many times the body (every history entry with all its fields).
    const jobBytes = Buffer.byteLength(encodeQueueMessage(job));
    if (jobBytes > SQS_MAX_MESSAGE_BYTES) {
      return {
        outcome: "invalid",
        error: new PayloadError(
          "body",
          `the webhook is ${jobBytes} bytes once normalised, over the ${SQS_MAX_MESSAGE_BYTES} bytes a queue message holds`,
        ),
      };
    }
    try {
      await this.deps.jobs.send(job, { deduplicationId: key, groupId: jobGroupId(webhook) });
    } catch (error) {
      return { ...unavailable("queue", error), key, webhook };
    }
    return { outcome: "accepted", key, webhook, job };
  }

  /** Verifies with the cached secrets; on a mismatch, once more with freshly read secrets. */
  private async verify(delivery: Delivery): Promise<SignatureVerdict> {
    const check = (secrets: readonly string[]) =>
      verifySignature({
        scheme: this.settings.scheme,
        header: delivery.signature,
        body: delivery.body,
        secrets,
      });
    if (this.settings.scheme === "off") return check([]);
    const cached = await this.deps.secrets.get();
    const verdict = check(this.secretsFrom(cached));
    if (verdict.valid || verdict.reason !== "mismatch") return verdict;
    // A rotation may have happened since the cache was filled. The source rate-limits forced
    // reads, so forged requests cannot turn into a GetSecretValue each.
    const fresh = await this.deps.secrets.get({ forceRefresh: true });
    return fresh === cached ? verdict : check(this.secretsFrom(fresh));
  }

  private secretsFrom(source: string): string[] {
    if (this.parsedSecrets?.source !== source) {
      this.parsedSecrets = { source, secrets: parseSigningSecrets(source) };
    }
    return this.parsedSecrets.secrets;
  }
}

function unavailable(
  dependency: Dependency,
  error: unknown,
): Extract<ReceiveOutcome, { outcome: "unavailable" }> {
  return {
    outcome: "unavailable",
    dependency,
    error,
    retryAfterSeconds: UNAVAILABLE_RETRY_AFTER_SECONDS,
  };
}

/**
 * The jobs queue's MessageGroupId of a webhook: the contact, as the digits of the phone number
 * (parseWebhook normalises every variant to them), so a contact's jobs are handled in order, one
 * at a time, and different contacts in parallel.
 */
export function jobGroupId(webhook: NormalizedWebhook): string {
  return webhook.phone.replace(/\D/g, "");
}

// ── The idempotency key ────────────────────────────────────────────────────────────────────────

/**
 * The idempotency key of a webhook delivery: the key of the message it carries
 * (core/conversation.ts messageKey: contact, direction, the message's own time, text and
 * attachment). docs/vendor.md ("Idempotency: a message, not a snapshot") says why: a webhook is a
 * snapshot of the conversation, and a redelivery of one customer message whose bot fields or
 * history changed in between (the vendor retried after our reply went out) must still be the same
 * key, or the customer is answered twice. The responder claims the same key on the contact.
 */
export function idempotencyKey(webhook: NormalizedWebhook): string {
  return messageKey(webhook);
}
