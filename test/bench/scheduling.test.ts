import { describe, expect, it } from "vitest";
import { analyzeSends, type SentPlan, scheduledText } from "../../bench/scheduling.js";
import type { SentRecord } from "../../local/vendorSimulator.js";

const plan: SentPlan = {
  phone: "4915300000001",
  postStartedAt: 1_000_000,
  postAnsweredAt: 1_000_020,
  offsetsMs: [0, 500, 2000],
};

function sent(phone: string, seq: number, atMs: number): SentRecord {
  return {
    phone,
    text: scheduledText(seq, plan.offsetsMs[seq] ?? 0),
    attachment: null,
    filename: null,
    at: new Date(atMs).toISOString(),
  };
}

describe("analyzeSends", () => {
  it("measures each send against POST start + offset (upper bound) and POST answer + offset (lower bound)", () => {
    const result = analyzeSends([plan], [sent("+4915300000001", 0, 1_000_050)]);
    expect(result.samples).toEqual([
      { seq: 0, offsetMs: 0, latenessMs: 50, latenessLowerBoundMs: 30 },
    ]);
  });

  it("counts plan messages that never arrived as missing", () => {
    const result = analyzeSends([plan], [sent("4915300000001", 0, 1_000_050)]);
    expect(result.missing).toBe(2);
  });

  it("counts a send that overtakes an earlier message of its plan as an order violation", () => {
    const result = analyzeSends(
      [plan],
      [
        sent("4915300000001", 1, 1_000_600),
        sent("4915300000001", 0, 1_000_700),
        sent("4915300000001", 2, 1_002_100),
      ],
    );
    expect(result.orderViolations).toBe(1);
    expect(result.missing).toBe(0);
  });

  it("counts a repeated send once as a duplicate and measures only the first", () => {
    const result = analyzeSends(
      [plan],
      [sent("4915300000001", 0, 1_000_050), sent("4915300000001", 0, 1_000_090)],
    );
    expect(result.duplicates).toBe(1);
    expect(result.samples).toHaveLength(1);
  });

  it("counts sends to a number no plan has, and texts no plan has, as unexpected", () => {
    const stray: SentRecord = { ...sent("4915300000001", 0, 1_000_050), text: "hello" };
    const result = analyzeSends([plan], [sent("4915399999999", 0, 1_000_050), stray]);
    expect(result.unexpected).toBe(2);
  });

  it("finds no violation in a plan sent completely and in order", () => {
    const result = analyzeSends(
      [plan],
      [
        sent("4915300000001", 0, 1_000_010),
        sent("4915300000001", 1, 1_000_510),
        sent("4915300000001", 2, 1_002_010),
      ],
    );
    expect(result).toMatchObject({ orderViolations: 0, missing: 0, duplicates: 0, unexpected: 0 });
  });
});
