import type { SentRecord } from "../../local/vendorSimulator.js";

/**
 * Telling the documented resend after a vendor timeout (docs/reliability.md, promise 8a) from a
 * double. A vendor call that times out after the vendor took the message is retried, so the
 * vendor has that reply twice; on a loaded machine the vendor simulator (on the test's own event
 * loop) answers late often enough that every test counting sends must expect it.
 */

/**
 * `${planId}#${seq}` of a sender's "send failed; retrying" line whose failure may hide a send (a
 * timeout or a broken connection: the vendor may have the message); undefined for any other line.
 */
export function ambiguousFailure(line: string): string | undefined {
  if (!line.startsWith("{") || !line.includes("send failed")) return undefined;
  try {
    const fields = JSON.parse(line) as { planId?: unknown; seq?: unknown; reason?: unknown };
    if (
      typeof fields.planId === "string" &&
      typeof fields.seq === "number" &&
      typeof fields.reason === "string" &&
      /timeout|network error/i.test(fields.reason)
    ) {
      return `${fields.planId}#${fields.seq}`;
    }
  } catch {
    // not one of the stack's JSON lines
  }
  return undefined;
}

/**
 * The vendor's records without the resends of promise 8a: a later copy of a reply is one when an
 * earlier copy was marked `unanswered` (the sender hung up before the answer) or when the sender
 * logged an ambiguous failure of that reply (a sender stalled past its timer also times out on an
 * answer already written, which the simulator cannot see). `loggedFailures` says how many such
 * failures the sender logged for a record's reply; every copy beyond those is kept, as a double.
 */
export function withoutResends(
  records: readonly SentRecord[],
  loggedFailures: (record: SentRecord) => number = () => 0,
): SentRecord[] {
  const seen = new Map<string, { copies: number; unanswered: number }>();
  const kept: SentRecord[] = [];
  for (const record of records) {
    const reply = `${record.phone}\n${record.text}`;
    const earlier = seen.get(reply) ?? { copies: 0, unanswered: 0 };
    const excused = Math.max(earlier.unanswered, loggedFailures(record));
    if (earlier.copies === 0 || earlier.copies > excused) kept.push(record);
    seen.set(reply, {
      copies: earlier.copies + 1,
      unanswered: earlier.unanswered + (record.unanswered ? 1 : 0),
    });
  }
  return kept;
}
