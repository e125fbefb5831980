import type { SecretSource } from "../core/ports.js";
import {
  buildPolicyRequest,
  MAX_POLICY_ANSWER_BYTES,
  type PolicyQuestion,
  parsePolicyAnswer,
  policyEndpoint,
  policyFetchError,
  policySigningKey,
  ReplyPolicyAnswerError,
} from "../core/replyPolicy.js";
import type { ReplyPlanMessage, ReplyValidationOptions } from "../core/replyRules.js";

export interface HttpReplyPolicyOptions extends ReplyValidationOptions {
  /** The policy endpoint (REPLY_POLICY_URL). */
  url: string;
  /** Timeout of one call, answer included (REPLY_POLICY_TIMEOUT_MS). */
  timeoutMs: number;
  /** Injectable for fault-injection tests; defaults to the global fetch. */
  fetch?: typeof fetch;
  now?: () => number;
}

/**
 * The HTTP reply policy (core/replyPolicy.ts): one signed POST per call, the answer checked by
 * the rules' message validator. The secret comes from Secrets Manager through `secret` (cached by
 * the SecretSource) and is used only as the HMAC key: never in a header, an error or a log.
 * One attempt per call; retries are the queue's (the error says whether one is worth it).
 */
export class HttpReplyPolicyClient {
  private readonly url: URL;
  private readonly fetch: typeof fetch;
  private readonly now: () => number;

  /** @throws ReplyPolicyConfigError when the URL is not https (or loopback http). */
  constructor(
    private readonly options: HttpReplyPolicyOptions,
    private readonly secret: SecretSource,
  ) {
    this.url = policyEndpoint(options.url);
    this.fetch = options.fetch ?? globalThis.fetch;
    this.now = options.now ?? Date.now;
  }

  /**
   * Asks the policy for the reply plan of one job.
   * @throws ReplyPolicyUnavailableError (retryable), ReplyPolicyAnswerError (naming the field) or
   *   ReplyPolicyConfigError (a malformed secret).
   */
  async ask(question: PolicyQuestion): Promise<ReplyPlanMessage[]> {
    const key = policySigningKey(await this.secret.get());
    const request = buildPolicyRequest(question, key, this.now());
    let status: number;
    let body: string;
    let retryAfter: string | null;
    try {
      const response = await this.fetch(this.url, {
        ...request,
        // A redirect is answered as what it is (3xx, not a reply) rather than followed.
        redirect: "manual",
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      status = response.status;
      retryAfter = response.headers.get("retry-after");
      body = await readCapped(response, MAX_POLICY_ANSWER_BYTES);
    } catch (error) {
      if (error instanceof ReplyPolicyAnswerError) throw error;
      throw policyFetchError(error);
    }
    if (status === 401 || status === 403) {
      // The endpoint may hold a newer secret: read it afresh before the next attempt.
      await this.secret.get({ forceRefresh: true }).catch(() => undefined);
    }
    return parsePolicyAnswer({ status, body, retryAfter, now: this.now() }, this.options);
  }
}

/** The response body as text, refusing more than `limit` bytes (an endless answer is not a plan). */
async function readCapped(response: Response, limit: number): Promise<string> {
  if (!response.body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > limit) {
      // Leaving the loop cancels the stream: the rest is never read.
      throw new ReplyPolicyAnswerError(
        `the reply policy answer is larger than ${limit} bytes`,
        "body",
        response.status,
      );
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}
