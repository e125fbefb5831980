import { randomUUID } from "node:crypto";

/**
 * Vendor-shaped webhook deliveries for the demo and the black-box tests: what the vendor POSTs
 * when a contact writes in (the current flat payload, docs/vendor.md, "Payload variants"), and the
 * X-Webhook-Signature header a receiver accepts under a given SIGNATURE_SCHEME.
 */

export interface SampleMessage {
  /** Contact's number, digits only. */
  phone: string;
  text: string;
  /** Epoch ms the contact wrote the message; distinct values make distinct deliveries. */
  at: number;
  name?: string;
  /** The vendor account's user UUID; default a fixed sample id. */
  userId?: string;
  /**
   * An outgoing message (the business wrote `text`): typed by a person on the phone app or in the
   * inbox (`human: true`), or sent by an automation. Default: the contact wrote it.
   */
  outgoing?: { human: boolean };
  /** Fields that differ between snapshots of one message (e.g. the bot's reply since), merged last. */
  snapshot?: Record<string, unknown>;
}

const SAMPLE_USER_ID = "5f0c7a2e-0000-4000-8000-00000000d3m0";

/** The JSON body the vendor sends for an incoming text message (times in seconds, as documented). */
export function sampleWebhookBody(message: SampleMessage): string {
  const iso = new Date(message.at).toISOString();
  const seconds = Math.floor(message.at / 1000);
  const time = new Date(message.at).toLocaleTimeString("en-US", { timeZone: "UTC" });
  if (message.outgoing) {
    return JSON.stringify({
      last_messages: [{ type: "bot", content: message.text, timestamp: iso, content_type: "text" }],
      phone_number: message.phone,
      recipient_name: message.name ?? "",
      user_id: message.userId ?? SAMPLE_USER_ID,
      last_message_of_user: "",
      last_message_of_bot: message.text,
      message_type: "text",
      user_last_message_time: 0,
      bot_last_message_time: seconds,
      incoming_message: false,
      send_by: message.outgoing.human ? "phone" : "automation",
      was_message_by_human: message.outgoing.human,
      ...message.snapshot,
    });
  }
  return JSON.stringify({
    last_messages: [{ type: "user", content: message.text, timestamp: iso, content_type: "text" }],
    conversation_paragraph: `User (${time}): ${message.text}`,
    phone_number: message.phone,
    recipient_name: message.name ?? "",
    user_id: message.userId ?? SAMPLE_USER_ID,
    last_message_of_user: message.text,
    last_message_of_bot: "",
    message_type: "text",
    user_last_message_time: seconds,
    bot_last_message_time: 0,
    attachment_url: null,
    note: "",
    note_automation: "",
    labels: "",
    incoming_message: true,
    send_by: "",
    was_message_by_human: true,
    ...message.snapshot,
  });
}

/** Signed the way the receiver checks (lambdas/core/signature.ts, next to the check). */
export { signatureFor } from "../lambdas/core/signature.js";

/** POSTs one signed delivery; returns the HTTP status and the parsed JSON answer. */
export async function postWebhook(
  receiverUrl: string,
  body: string,
  signature: string | undefined,
  /** Give up after this long (an address that never answers must not hang a command). */
  timeoutMs?: number,
): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "user-agent": "local-sample/1.0",
    "x-request-id": randomUUID(),
  };
  if (signature !== undefined) headers["x-webhook-signature"] = signature;
  const res = await fetch(receiverUrl, {
    method: "POST",
    headers,
    body,
    ...(timeoutMs === undefined ? {} : { signal: AbortSignal.timeout(timeoutMs) }),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed };
}
