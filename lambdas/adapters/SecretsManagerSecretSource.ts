import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { SecretSource } from "../core/ports.js";

export interface SecretCacheOptions {
  /** How long a read value is served from memory (SECRET_CACHE_SECONDS); 0 reads every time. */
  maxAgeSeconds: number;
  /**
   * Least time between two reads that bypass the cache (forced refreshes, and retries after a
   * failed refresh). Forged requests trigger forced refreshes, so this caps what they can cost.
   */
  minRefreshIntervalMs?: number;
  /** Epoch ms; injectable for tests. */
  now?: () => number;
}

const DEFAULT_MIN_REFRESH_INTERVAL_MS = 10_000;

/**
 * One Secrets Manager secret's string, cached in memory across invocations of a warm Lambda.
 *
 * Hand-written rather than Powertools Parameters' SecretsProvider: that provider caches and can
 * force a fetch, but has no rate limit on forced fetches and no stale-if-error, and it would add
 * a dependency to the receiver bundle for ~60 lines.
 *
 * - Fresh value within maxAge: served from memory.
 * - forceRefresh: reads again, at most once per minRefreshIntervalMs (otherwise the cached value).
 * - A failed read throws when there is nothing cached or the read was forced; a failed routine
 *   refresh serves the stale value and tries again after minRefreshIntervalMs.
 * - Concurrent callers share one in-flight read.
 */
export class SecretsManagerSecretSource implements SecretSource {
  private cached: { value: string; fetchedAt: number } | null = null;
  private inFlight: Promise<string> | null = null;
  private lastForcedAt = Number.NEGATIVE_INFINITY;
  private retryNotBefore = Number.NEGATIVE_INFINITY;
  private readonly maxAgeMs: number;
  private readonly minRefreshIntervalMs: number;
  private readonly now: () => number;

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly secretId: string,
    options: SecretCacheOptions,
  ) {
    this.maxAgeMs = options.maxAgeSeconds * 1000;
    this.minRefreshIntervalMs = options.minRefreshIntervalMs ?? DEFAULT_MIN_REFRESH_INTERVAL_MS;
    this.now = options.now ?? Date.now;
  }

  async get(options: { forceRefresh?: boolean } = {}): Promise<string> {
    const now = this.now();
    const cached = this.cached;
    if (cached && options.forceRefresh) {
      if (now - this.lastForcedAt < this.minRefreshIntervalMs) return cached.value;
      this.lastForcedAt = now;
      return this.read();
    }
    if (cached && (now - cached.fetchedAt < this.maxAgeMs || now < this.retryNotBefore)) {
      return cached.value;
    }
    try {
      return await this.read();
    } catch (error) {
      if (!cached) throw error;
      this.retryNotBefore = now + this.minRefreshIntervalMs;
      return cached.value;
    }
  }

  private read(): Promise<string> {
    this.inFlight ??= this.fetch().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async fetch(): Promise<string> {
    const result = await this.client.send(new GetSecretValueCommand({ SecretId: this.secretId }));
    const value =
      result.SecretString ??
      (result.SecretBinary ? new TextDecoder().decode(result.SecretBinary) : undefined);
    if (value === undefined) throw new Error(`secret ${this.secretId} has no value`);
    this.cached = { value, fetchedAt: this.now() };
    return value;
  }
}
