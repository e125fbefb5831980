import type { SecretSource, VendorSender } from "../core/ports.js";
import {
  buildSendRequest,
  classifySendError,
  classifySendResponse,
  type OutgoingMessage,
  type SendOutcome,
  type VendorSendConfig,
} from "../core/vendorSend.js";

export interface VendorSendClientOptions extends VendorSendConfig {
  /** Timeout of one HTTP call, response body included (VENDOR_TIMEOUT_MS). */
  timeoutMs: number;
  /** Injectable for fault-injection tests; defaults to the global fetch. */
  fetch?: typeof fetch;
  now?: () => number;
}

/**
 * The vendor send API over HTTP. The token is read from Secrets Manager through `token` (cached by
 * the SecretSource) and appears only in the Authorization header; never in errors or outcomes.
 */
export class VendorSendClient implements VendorSender {
  private readonly fetch: typeof fetch;
  private readonly now: () => number;

  constructor(
    private readonly options: VendorSendClientOptions,
    private readonly token: SecretSource,
  ) {
    this.fetch = options.fetch ?? globalThis.fetch;
    this.now = options.now ?? Date.now;
  }

  /**
   * Sends one message and classifies the result. Throws only when the token cannot be read
   * (then the vendor was never called).
   */
  async send(message: OutgoingMessage): Promise<SendOutcome> {
    const token = await this.token.get();
    const request = buildSendRequest(this.options, token, message);
    let outcome: SendOutcome;
    try {
      const response = await this.fetch(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.body,
        redirect: "error",
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      const body = await response.text();
      outcome = classifySendResponse(
        {
          status: response.status,
          body,
          retryAfter: response.headers.get("retry-after"),
          now: this.now(),
        },
        [token],
      );
      if (response.status === 401) {
        // The token may have been rotated: make the next attempt read it afresh.
        await this.token.get({ forceRefresh: true }).catch(() => undefined);
      }
    } catch (error) {
      outcome = classifySendError(error, [token]);
    }
    return outcome;
  }
}
