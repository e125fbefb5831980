import { describe, expect, it } from "vitest";
import {
  assessMarker,
  isTerminal,
  markerKey,
  type SentMarker,
} from "../../../lambdas/core/sentMarker.js";

function marker(overrides: Partial<SentMarker>): SentMarker {
  return {
    pk: "p#0",
    planId: "p",
    seq: 0,
    status: "SENDING",
    attempts: 1,
    updatedAt: 0,
    expiresAt: 0,
    ...overrides,
  };
}

describe("markerKey", () => {
  it("is <planId>#<seq>", () => {
    expect(markerKey("plan_ab", 2)).toBe("plan_ab#2");
  });
});

describe("assessMarker", () => {
  it("lets a worker claim a reply nobody has touched", () => {
    expect(assessMarker(undefined, 0)).toEqual({ kind: "claimable" });
  });

  it("lets a worker claim a reply released for retry", () => {
    expect(assessMarker(marker({ status: "RETRY" }), 0).kind).toBe("claimable");
  });

  it("lets a DLQ redrive claim a reply that was given up on", () => {
    expect(assessMarker(marker({ status: "GAVE_UP" }), 0).kind).toBe("claimable");
  });

  it.each(["SENT", "FAILED", "UNKNOWN"] as const)("never sends a %s reply again", (status) => {
    expect(assessMarker(marker({ status }), 0).kind).toBe("done");
  });

  it("waits for a live claim", () => {
    expect(assessMarker(marker({ leaseUntil: 5000 }), 1000)).toEqual({
      kind: "busy",
      retryInMs: 4000,
    });
  });

  it("treats an expired claim as a worker that died mid-call", () => {
    expect(assessMarker(marker({ leaseUntil: 5000 }), 5000).kind).toBe("abandoned");
  });
});

describe("isTerminal", () => {
  it.each(["SENT", "FAILED", "UNKNOWN", "GAVE_UP"] as const)(
    "lets the successor go after %s",
    (status) => {
      expect(isTerminal(marker({ status }))).toBe(true);
    },
  );

  it.each(["SENDING", "RETRY"] as const)("holds the successor back while %s", (status) => {
    expect(isTerminal(marker({ status }))).toBe(false);
  });

  it("holds the successor back before the reply was tried", () => {
    expect(isTerminal(undefined)).toBe(false);
  });
});
