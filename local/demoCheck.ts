import type { SentRecord } from "./vendorSimulator.js";

/**
 * The demo's verdict: did every expected reply reach the vendor, once, in order? Pure, so the
 * rules of the verdict are testable without running the stack.
 *
 * It judges outcomes the pipeline guarantees whatever the machine's speed, never the gaps between
 * the demo's sends: a reply of a plan that a later message or a takeover cancels goes out if the
 * sender judged it before that message was recorded, and is cancelled otherwise; both are right,
 * as long as it is sent at most once or recorded as cancelled, never lost.
 */

/** One reply the demo expects, for one contact. */
export interface ExpectedReply {
  /** Digits only. */
  phone: string;
  text: string;
  /** Epoch ms the reply is due (acceptance time + rule delay). */
  dueAt: number;
  /** The plan it belongs to (e.g. the message it answers): order is judged within a plan. */
  plan?: number;
  /**
   * A later message or a person taking over came after its plan: it is sent (judged before that
   * was recorded) or cancelled, either being right.
   */
  cancellable?: boolean;
}

/** A reply the pipeline recorded as cancelled (never sent). */
export interface CancelledReply {
  /** Digits only. */
  phone: string;
  text: string;
}

export interface ReplyVerdict {
  ok: boolean;
  /** Expected replies not (yet) sent; for a cancellable one, neither sent nor cancelled. */
  missing: ExpectedReply[];
  /** Sends nobody expected (a duplicate reply, a reply to the repeated delivery, a wrong text). */
  unexpected: SentRecord[];
  /** Contacts with a plan whose replies arrived in another order than planned. */
  outOfOrder: string[];
}

const digits = (phone: string) => phone.replace(/\D/g, "");

/**
 * Compares what the vendor received (and, for cancellable replies, what the pipeline cancelled)
 * with the expected replies, contact by contact.
 */
export function checkReplies(
  expected: ExpectedReply[],
  sent: SentRecord[],
  cancelled: CancelledReply[] = [],
): ReplyVerdict {
  const missing: ExpectedReply[] = [];
  const unexpected: SentRecord[] = [];
  const outOfOrder: string[] = [];
  const phones = new Set([...expected.map((e) => e.phone), ...sent.map((s) => digits(s.phone))]);
  for (const phone of phones) {
    const want = expected.filter((e) => e.phone === phone).sort((a, b) => a.dueAt - b.dueAt);
    const got = sent.filter((s) => digits(s.phone) === phone);
    const remaining = [...got];
    const dropped = cancelled.filter((c) => c.phone === phone);
    for (const reply of want) {
      const at = remaining.findIndex((s) => s.text === reply.text);
      if (at !== -1) {
        remaining.splice(at, 1);
        continue;
      }
      const cancel = reply.cancellable ? dropped.findIndex((c) => c.text === reply.text) : -1;
      if (cancel === -1) missing.push(reply);
      else dropped.splice(cancel, 1);
    }
    unexpected.push(...remaining);
    // Within each plan, what went out is in the plan's order (a cancelled reply leaves a gap).
    const plans = new Set(want.map((r) => r.plan));
    const inOrder = [...plans].every((plan) => {
      const wantTexts = want.filter((r) => r.plan === plan).map((r) => r.text);
      const gotTexts = got.map((s) => s.text).filter((text) => wantTexts.includes(text));
      let next = 0;
      return gotTexts.every((text) => {
        next = wantTexts.indexOf(text, next) + 1;
        return next > 0;
      });
    });
    if (!inOrder) outOfOrder.push(phone);
  }
  return {
    ok: missing.length === 0 && unexpected.length === 0 && outOfOrder.length === 0,
    missing,
    unexpected,
    outOfOrder,
  };
}
