/**
 * Sent-markers: one DynamoDB item per scheduled reply (TABLES.sentMarkers, pk "<planId>#<seq>")
 * that keeps every reply sent at most once across retries, redeliveries and duplicate jobs.
 * The protocol is described in docs/scheduling.md; in short:
 *
 *   (none) ──claim──▶ SENDING ──vendor 2xx──▶ SENT
 *      ▲                 │ ├──vendor refused──▶ FAILED      (never retried)
 *      │                 │ ├──retryable, attempts left──▶ RETRY ──claim──▶ SENDING …
 *      │                 │ └──retryable, last attempt──▶ GAVE_UP (message goes to the DLQ)
 *      │                 └──lease expired (process died mid-call)──▶ UNKNOWN (never resent)
 *      └── GAVE_UP is claimable again, so an operator's DLQ redrive gets a fresh try.
 */

export type MarkerStatus = "SENDING" | "SENT" | "FAILED" | "UNKNOWN" | "RETRY" | "GAVE_UP";

export interface SentMarker {
  /** "<planId>#<seq>" */
  pk: string;
  planId: string;
  seq: number;
  status: MarkerStatus;
  /** Random token of the worker holding the SENDING claim. */
  owner?: string;
  /** Epoch ms after which a SENDING claim counts as abandoned. */
  leaseUntil?: number;
  /** Send attempts started (claims taken). */
  attempts: number;
  /** Epoch ms of the vendor's 2xx. */
  sentAt?: number;
  /** Sanitised vendor reason of the last failure. */
  reason?: string;
  updatedAt: number;
  /** Epoch seconds (DynamoDB TTL). */
  expiresAt: number;
}

/** The marker key of one reply. */
export function markerKey(planId: string, seq: number): string {
  return `${planId}#${seq}`;
}

/** States after which nothing more will happen to a reply: its successor may go. */
const TERMINAL: ReadonlySet<MarkerStatus> = new Set(["SENT", "FAILED", "UNKNOWN", "GAVE_UP"]);

/** States a new attempt may claim. */
export const CLAIMABLE_STATUSES: readonly MarkerStatus[] = ["RETRY", "GAVE_UP"];

/** True when the reply is finished one way or another (the ordering gate for its successor). */
export function isTerminal(marker: SentMarker | undefined): boolean {
  return marker !== undefined && TERMINAL.has(marker.status);
}

/** What a worker holding a copy of a reply should do given the reply's current marker. */
export type MarkerAssessment =
  /** No marker, or a released one: claim it and send. */
  | { kind: "claimable" }
  /** Finished (SENT, FAILED, UNKNOWN): acknowledge without sending. */
  | { kind: "done"; marker: SentMarker }
  /** Another worker is sending right now: look again after the lease. */
  | { kind: "busy"; retryInMs: number }
  /** A worker claimed it and died mid-call: the outcome is unknown. */
  | { kind: "abandoned"; marker: SentMarker };

export function assessMarker(marker: SentMarker | undefined, now: number): MarkerAssessment {
  if (!marker || CLAIMABLE_STATUSES.includes(marker.status)) return { kind: "claimable" };
  if (marker.status === "SENDING") {
    const leaseUntil = marker.leaseUntil ?? 0;
    return leaseUntil > now
      ? { kind: "busy", retryInMs: leaseUntil - now }
      : { kind: "abandoned", marker };
  }
  return { kind: "done", marker };
}
