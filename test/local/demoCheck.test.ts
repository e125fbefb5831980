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
});
