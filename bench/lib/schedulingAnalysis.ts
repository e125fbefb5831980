import type { SentRecord } from "../../local/vendorSimulator.js";

/**
 * Turns what the vendor simulator received into scheduling precision figures: each send's
 * lateness against its due time, order violations within a conversation, and sends that are
 * missing, repeated or unexpected. Pure, tested in test/bench/schedulingAnalysis.test.ts.
 */

export interface SentPlan {
  /** The contact's digits (the vendor records the number as sent; "+" is ignored). */
  phone: string;
  /** Epoch ms when the webhook POST started and when its answer arrived: acceptance lies between. */
  postStartedAt: number;
  postAnsweredAt: number;
  /** Offsets of the plan's messages from acceptance, in seq order. */
  offsetsMs: number[];
}

export interface LatenessSample {
  seq: number;
  offsetMs: number;
  /** Vendor receive time − (POST start + offset): an upper bound on the true lateness. */
  latenessMs: number;
  /** Vendor receive time − (POST answer + offset): a lower bound. */
  latenessLowerBoundMs: number;
}

export interface SchedulingAnalysis {
  samples: LatenessSample[];
  /** Adjacent sends to one contact whose seq goes backwards. */
  orderViolations: number;
  missing: number;
  duplicates: number;
  /** Sends no plan accounts for. */
  unexpected: number;
}

/** The text the benchmark's rules give message `seq` (its seq is read back from it). */
export function scheduledText(seq: number, offsetMs: number): string {
  return `#${seq} due +${offsetMs} ms`;
}

const SEQ = /^#(\d+) /;

function digits(phone: string): string {
  return phone.replace(/\D/g, "");
}

export function analyzeSends(plans: SentPlan[], sent: SentRecord[]): SchedulingAnalysis {
  const byPhone = new Map<string, SentRecord[]>();
  for (const record of sent) {
    const key = digits(record.phone);
    const list = byPhone.get(key) ?? [];
    list.push(record);
    byPhone.set(key, list);
  }
  const samples: LatenessSample[] = [];
  let orderViolations = 0;
  let missing = 0;
  let duplicates = 0;
  let unexpected = 0;
  const planned = new Set(plans.map((p) => digits(p.phone)));
  for (const [phone, records] of byPhone) {
    if (!planned.has(phone)) unexpected += records.length;
  }
  for (const plan of plans) {
    const records = byPhone.get(digits(plan.phone)) ?? [];
    const seen = new Set<number>();
    let previous = -1;
    for (const record of records) {
      const match = SEQ.exec(record.text);
      const seq = match ? Number(match[1]) : Number.NaN;
      const offset = plan.offsetsMs[seq];
      if (offset === undefined) {
        unexpected += 1;
        continue;
      }
      if (seen.has(seq)) {
        duplicates += 1;
        continue;
      }
      seen.add(seq);
      if (seq < previous) orderViolations += 1;
      previous = Math.max(previous, seq);
      const at = Date.parse(record.at);
      samples.push({
        seq,
        offsetMs: offset,
        latenessMs: at - (plan.postStartedAt + offset),
        latenessLowerBoundMs: at - (plan.postAnsweredAt + offset),
      });
    }
    missing += plan.offsetsMs.length - seen.size;
  }
  return { samples, orderViolations, missing, duplicates, unexpected };
}
