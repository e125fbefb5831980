/**
 * Ports the receiver use case (receiveWebhook) needs besides MessageQueue, SecretSource and Logger.
 */

/** A claim as stored: in progress (someone is enqueueing) or done (the job is on the queue). */
export interface ClaimRecord {
  status: "IN_PROGRESS" | "QUEUED";
  /** Epoch ms until which an IN_PROGRESS claim blocks others (its lease). */
  inProgressUntil: number;
  /** Epoch seconds after which the record no longer counts (DynamoDB TTL deletes it lazily). */
  expiresAt: number;
}

export type ClaimResult =
  /** The caller now owns the claim; `token` proves it to markQueued and release. */
  | { claimed: true; token: string }
  /** Someone else holds a live claim (null: it vanished between the write and the read). */
  | { claimed: false; existing: ClaimRecord | null };

/** One claim per idempotency key, so a webhook produces at most one job. */
export interface IdempotencyStore {
  /**
   * Creates an IN_PROGRESS claim if there is none, or takes over one whose lease ended
   * (inProgressUntil < now) or that expired (expiresAt < now in seconds). Atomic.
   */
  claim(
    key: string,
    claim: { now: number; inProgressUntil: number; expiresAt: number },
  ): Promise<ClaimResult>;
  /** The live claim, or null when absent. */
  get(key: string): Promise<ClaimRecord | null>;
  /** Marks our claim QUEUED until expiresAt (epoch s); false if it is no longer ours. */
  markQueued(key: string, token: string, expiresAt: number): Promise<boolean>;
  /** Deletes our IN_PROGRESS claim so a retry can claim again; no-op if it is not ours. */
  release(key: string, token: string): Promise<void>;
}

/** Time, injected so the core stays free of clocks and timers. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  sleep(ms: number): Promise<void>;
}
