import { performance } from "node:perf_hooks";
import { sampleWebhookBody, signatureFor } from "../../../local/sampleWebhook.js";

/** A vendor-shaped delivery: its body and the signature header the receiver accepts. */
export interface Delivery {
  body: string;
  signature: string;
}

/** A signed incoming-text webhook (hex HMAC-SHA256, which the "auto" scheme accepts). */
export function signedWebhook(
  secret: string,
  message: { phone: string; text: string; at: number },
): Delivery {
  const body = sampleWebhookBody(message);
  return { body, signature: signatureFor(body, secret, "hmac-sha256") };
}

export interface PostResult {
  status: number;
  /** Parsed JSON answer, or the text when it is not JSON. */
  body: unknown;
  /** The raw answer text (for leak checks). */
  text: string;
  headers: Record<string, string>;
  ms: number;
}

/** POSTs one delivery; network errors surface as status 0 with the error text. */
export async function post(
  url: string,
  delivery: Partial<Delivery> & { body: string },
): Promise<PostResult> {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (delivery.signature !== undefined) headers["x-webhook-signature"] = delivery.signature;
  const started = performance.now();
  try {
    const res = await fetch(url, {
      method: "POST",
      headers,
      body: delivery.body,
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    const answerHeaders = Object.fromEntries(res.headers.entries());
    return {
      status: res.status,
      body,
      text,
      headers: answerHeaders,
      ms: performance.now() - started,
    };
  } catch (error) {
    const text = String(error);
    return { status: 0, body: text, text, headers: {}, ms: performance.now() - started };
  }
}

/**
 * Delivers like the vendor: retries a 5xx (or a connection failure) after a short pause, up to
 * `attempts` times. Returns every answer, the last one deciding.
 */
export async function deliverWithRetries(
  url: string,
  delivery: Delivery,
  { attempts = 20, pauseMs = 250 } = {},
): Promise<PostResult[]> {
  const answers: PostResult[] = [];
  for (let i = 0; i < attempts; i++) {
    const answer = await post(url, delivery);
    answers.push(answer);
    if (answer.status !== 0 && answer.status < 500) return answers;
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  return answers;
}
