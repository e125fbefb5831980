/**
 * Narrow capabilities the core and the handlers need from the outside world.
 * Adapters implement them; tests may fake them for fault injection.
 */

/** A queue that can hold a message back for a while (SQS DelaySeconds). */
export interface MessageQueue {
  /** Sends one message; delaySeconds is a whole number 0..900. */
  send(body: unknown, options?: { delaySeconds?: number }): Promise<void>;
}

/** Reads one secret's current string value, with caching the adapter decides. */
export interface SecretSource {
  /** Returns the secret string; forceRefresh bypasses any cache. */
  get(options?: { forceRefresh?: boolean }): Promise<string>;
}

/** Structured logger (Powertools Logger satisfies this). Never pass secrets or full phone numbers. */
export interface Logger {
  debug(message: string, extra?: Record<string, unknown>): void;
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
  error(message: string, extra?: Record<string, unknown>): void;
}
