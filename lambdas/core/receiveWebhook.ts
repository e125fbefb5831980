import { messageKey } from "./conversation.js";
import { errorFields, PayloadError } from "./errors.js";
import {
  encodeQueueMessage,
  type NormalizedWebhook,
  SQS_MAX_MESSAGE_BYTES,
  type WebhookJob,
} from "./messages.js";
import { parseWebhook } from "./parseWebhook.js";
import type {
  ClaimRecord,
  Clock,
  IdempotencyStore,
  Logger,
  MessageQueue,
  SecretSource,
} from "./ports.js";
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
  /** How long a queued claim answers "duplicate" (IDEMPOTENCY_TTL_SECONDS). */
  idempotencyTtlSeconds: number;
  /** Lease of an in-progress claim (IN_PROGRESS_TTL_SECONDS); longer than the receiver's timeout. */
  inProgressTtlSeconds: number;
  /** How long a delivery waits for a concurrent identical one to settle before answering "busy". */
  settleWaitMs: number;
  /** First pause between looks at a concurrent claim; doubles up to 500 ms. */
  settlePollMs: number;
}

export interface ReceiverDependencies {
  /** The signing secret (SigningSecretDocument JSON or a plain string); unused when scheme is off. */
  secrets: SecretSource;
  idempotency: IdempotencyStore;
  jobs: MessageQueue;
  clock: Clock;
  /** For anomalies inside the flow; the caller logs the one summary line per delivery. */
  logger: Logger;
}

/** One webhook delivery as received: raw body bytes (base64 decoded) and the signature header. */
export interface Delivery {
  body: Uint8Array;
  signature: string | undefined;
}

/** A dependency that failed; the vendor should retry later. */
export type Dependency = "secrets" | "idempotency" | "queue";

export type ReceiveOutcome =
  | { outcome: "accepted"; key: string; webhook: NormalizedWebhook; job: WebhookJob }
  | { outcome: "duplicate"; key: string; webhook: NormalizedWebhook }
  | { outcome: "unauthorized"; reason: SignatureFailure }
  | { outcome: "invalid"; error: PayloadError }
  /** An identical delivery is still being enqueued elsewhere; answer 503 so the vendor retries. */
  | { outcome: "busy"; key: string; webhook: NormalizedWebhook; retryAfterSeconds: number }
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
const MAX_SETTLE_POLL_MS = 500;
/** Bound on claim attempts in one delivery, whatever the store answers. */
const MAX_CLAIM_ATTEMPTS = 10;

/**
 * The receiver use case: verify the signature over the raw bytes → parse → derive the
 * idempotency key → claim it → enqueue one WebhookJob → mark the claim queued.
 *
 * Exactly-one-job argument: a job is only sent by the owner of an IN_PROGRESS claim, and a claim
 * is only granted when none is live. If the enqueue fails the claim is released and the vendor is
 * told to retry (503). If the process dies between claim and enqueue, the lease runs out and the
 * vendor's retry claims again: nothing is lost. A concurrent identical delivery waits for the
 * claim to settle: "duplicate" once it is QUEUED, a fresh claim if it was released or abandoned,
 * otherwise "busy" (503) — never a 200 for work that may still fail.
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
    // A job SQS would refuse fails on every vendor retry: refuse the delivery now instead. The
    // normalised webhook can be many times the body (every history entry with all its fields).
    const jobBytes = Buffer.byteLength(
      encodeQueueMessage({
        kind: "webhook-job",
        version: 1,
        key,
        acceptedAt: this.deps.clock.now(),
        webhook,
      }),
    );
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
      return await this.claimAndEnqueue(key, webhook);
    } catch (error) {
      return { ...unavailable("idempotency", error), key, webhook };
    }
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

  private async claimAndEnqueue(key: string, webhook: NormalizedWebhook): Promise<ReceiveOutcome> {
    const { clock, idempotency } = this.deps;
    const deadline = clock.now() + this.settings.settleWaitMs;
    let pause = this.settings.settlePollMs;
    for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
      const now = clock.now();
      const result = await idempotency.claim(key, {
        now,
        inProgressUntil: now + this.settings.inProgressTtlSeconds * 1000,
        expiresAt: this.expiresAt(now),
      });
      if (result.claimed) return this.enqueue(key, webhook, result.token, now);

      // Someone else holds the claim: wait until it is queued, released or abandoned.
      let record = result.existing;
      for (;;) {
        const state = claimState(record, clock.now());
        if (state === "queued") return { outcome: "duplicate", key, webhook };
        if (state === "claimable") break;
        const remaining = deadline - clock.now();
        if (remaining <= 0) return busy(key, webhook, record, clock.now());
        await clock.sleep(Math.min(pause, remaining));
        pause = Math.min(pause * 2, MAX_SETTLE_POLL_MS);
        record = await idempotency.get(key);
      }
      if (clock.now() >= deadline) return busy(key, webhook, record, clock.now());
    }
    return busy(key, webhook, null, clock.now());
  }

  private async enqueue(
    key: string,
    webhook: NormalizedWebhook,
    token: string,
    acceptedAt: number,
  ): Promise<ReceiveOutcome> {
    const { idempotency, jobs, logger } = this.deps;
    const job: WebhookJob = { kind: "webhook-job", version: 1, key, acceptedAt, webhook };
    try {
      await jobs.send(job);
    } catch (error) {
      try {
        await idempotency.release(key, token);
      } catch (releaseError) {
        logger.warn("idempotency claim not released; its lease will expire", {
          keyPrefix: key.slice(0, 12),
          ...errorFields(releaseError),
        });
      }
      return { ...unavailable("queue", error), key, webhook };
    }
    try {
      const stillOurs = await idempotency.markQueued(key, token, this.expiresAt(acceptedAt));
      if (!stillOurs) {
        logger.warn("idempotency claim was taken over before it was marked queued", {
          keyPrefix: key.slice(0, 12),
        });
      }
    } catch (error) {
      // The job is queued: answering 503 now would invite a retry and a second job.
      logger.warn("idempotency claim not marked queued; the job is queued", {
        keyPrefix: key.slice(0, 12),
        ...errorFields(error),
      });
    }
    return { outcome: "accepted", key, webhook, job };
  }

  private expiresAt(nowMs: number): number {
    return Math.floor(nowMs / 1000) + this.settings.idempotencyTtlSeconds;
  }
}

function claimState(
  record: ClaimRecord | null,
  now: number,
): "queued" | "in_progress" | "claimable" {
  if (record === null || record.expiresAt * 1000 <= now) return "claimable";
  if (record.status === "QUEUED") return "queued";
  return record.inProgressUntil < now ? "claimable" : "in_progress";
}

function busy(
  key: string,
  webhook: NormalizedWebhook,
  record: ClaimRecord | null,
  now: number,
): ReceiveOutcome {
  const leaseLeftMs = record ? record.inProgressUntil - now : 0;
  return {
    outcome: "busy",
    key,
    webhook,
    retryAfterSeconds: Math.max(1, Math.ceil(leaseLeftMs / 1000)),
  };
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
