import type { SentRecord } from "./vendorSimulator.js";

/**
 * The demo's verdict: did every expected reply reach the vendor, once, in order? Pure, so the
 * rules of the verdict are testable without running the stack.
 */

/** One reply the demo expects, for one contact. */
export interface ExpectedReply {
  /** Digits only. */
  phone: string;
  text: string;
  /** Epoch ms the reply is due (acceptance time + rule delay). */
  dueAt: number;
}

export interface ReplyVerdict {
  ok: boolean;
  /** Expected replies not (yet) sent. */
  missing: ExpectedReply[];
  /** Sends nobody expected (a duplicate reply, a reply to the repeated delivery, a wrong text). */
  unexpected: SentRecord[];
  /** Contacts whose replies arrived in another order than planned. */
  outOfOrder: string[];
}

const digits = (phone: string) => phone.replace(/\D/g, "");

/** Compares what the vendor received with the expected replies, contact by contact. */
export function checkReplies(expected: ExpectedReply[], sent: SentRecord[]): ReplyVerdict {
  const missing: ExpectedReply[] = [];
  const unexpected: SentRecord[] = [];
  const outOfOrder: string[] = [];
  const phones = new Set([...expected.map((e) => e.phone), ...sent.map((s) => digits(s.phone))]);
  for (const phone of phones) {
    const want = expected.filter((e) => e.phone === phone).sort((a, b) => a.dueAt - b.dueAt);
    const got = sent.filter((s) => digits(s.phone) === phone);
    const remaining = [...got];
    for (const reply of want) {
      const at = remaining.findIndex((s) => s.text === reply.text);
      if (at === -1) missing.push(reply);
      else remaining.splice(at, 1);
    }
    unexpected.push(...remaining);
    const wantTexts = want.map((r) => r.text);
    const gotTexts = got.map((s) => s.text).filter((text) => wantTexts.includes(text));
    const inOrder = gotTexts.every((text, i) => text === wantTexts[i]);
    if (!inOrder) outOfOrder.push(phone);
  }
  return {
    ok: missing.length === 0 && unexpected.length === 0 && outOfOrder.length === 0,
    missing,
    unexpected,
    outOfOrder,
  };
}
