import { describe, expect, it } from "vitest";
import { checkReplies, type ExpectedReply } from "../../local/demoCheck.js";
import type { SentRecord } from "../../local/vendorSimulator.js";

const expected: ExpectedReply[] = [
  { phone: "14155550123", text: "Hello!", dueAt: 1000 },
  { phone: "14155550123", text: "How can I help?", dueAt: 2500 },
  { phone: "447700900456", text: "We are open 9-18.", dueAt: 1500 },
];
const sent = (phone: string, text: string): SentRecord => ({
  phone,
  text,
  attachment: null,
  filename: null,
  at: "2026-01-01T00:00:00.000Z",
});

describe("checkReplies", () => {
  it("passes when every expected reply arrived once, in order per contact", () => {
    const verdict = checkReplies(expected, [
      sent("+14155550123", "Hello!"),
      sent("+447700900456", "We are open 9-18."),
      sent("+14155550123", "How can I help?"),
    ]);
    expect(verdict).toEqual({ ok: true, missing: [], unexpected: [], outOfOrder: [] });
  });

  it("reports a reply that never arrived", () => {
    const verdict = checkReplies(expected, [
      sent("+14155550123", "Hello!"),
      sent("+14155550123", "How can I help?"),
    ]);
    expect(verdict.ok).toBe(false);
    expect(verdict.missing.map((r) => r.text)).toEqual(["We are open 9-18."]);
  });

  it("reports a reply sent twice as unexpected", () => {
    const verdict = checkReplies(expected, [
      sent("+14155550123", "Hello!"),
      sent("+14155550123", "Hello!"),
      sent("+14155550123", "How can I help?"),
      sent("+447700900456", "We are open 9-18."),
    ]);
    expect(verdict.ok).toBe(false);
    expect(verdict.unexpected.map((r) => r.text)).toEqual(["Hello!"]);
  });

  it("reports a contact whose replies arrived out of order", () => {
    const verdict = checkReplies(expected, [
      sent("+14155550123", "How can I help?"),
      sent("+14155550123", "Hello!"),
      sent("+447700900456", "We are open 9-18."),
    ]);
    expect(verdict.ok).toBe(false);
    expect(verdict.outOfOrder).toEqual(["14155550123"]);
  });

  it("reports a send to a contact nobody expected a reply for", () => {
    const verdict = checkReplies([], [sent("+15550000000", "Hi")]);
    expect(verdict.unexpected).toHaveLength(1);
    expect(verdict.ok).toBe(false);
  });

  // A newer message at +1.5 s and the greeting's follow-up due at +2 s: which the sender judges
  // first is up to the machine's speed, and either outcome is right.
  const greeting: ExpectedReply[] = [
    { phone: "14155550123", text: "Hello!", dueAt: 0, plan: 0, cancellable: true },
    { phone: "14155550123", text: "Anything else?", dueAt: 2000, plan: 0, cancellable: true },
    { phone: "14155550123", text: "Delivery is free.", dueAt: 1500, plan: 1 },
  ];

  it("accepts a reply a newer message could cancel, whether it went out or was cancelled", () => {
    const quick = checkReplies(
      greeting,
      [sent("+14155550123", "Hello!"), sent("+14155550123", "Delivery is free.")],
      [{ phone: "14155550123", text: "Anything else?" }],
    );
    const slow = checkReplies(greeting, [
      sent("+14155550123", "Hello!"),
      sent("+14155550123", "Delivery is free."),
      sent("+14155550123", "Anything else?"),
    ]);
    expect(quick).toEqual({ ok: true, missing: [], unexpected: [], outOfOrder: [] });
    expect(slow).toEqual({ ok: true, missing: [], unexpected: [], outOfOrder: [] });
  });

  it("reports a cancellable reply that was neither sent nor cancelled", () => {
    const verdict = checkReplies(greeting, [
      sent("+14155550123", "Hello!"),
      sent("+14155550123", "Delivery is free."),
    ]);
    expect(verdict.missing.map((r) => r.text)).toEqual(["Anything else?"]);
  });

  it("judges order within each plan: an earlier plan's follow-up may go out after a newer reply", () => {
    const verdict = checkReplies(greeting, [
      sent("+14155550123", "Delivery is free."),
      sent("+14155550123", "Hello!"),
      sent("+14155550123", "Anything else?"),
    ]);
    expect(verdict.ok).toBe(true);
    const swapped = checkReplies(greeting, [
      sent("+14155550123", "Anything else?"),
      sent("+14155550123", "Hello!"),
      sent("+14155550123", "Delivery is free."),
    ]);
    expect(swapped.outOfOrder).toEqual(["14155550123"]);
  });
});
