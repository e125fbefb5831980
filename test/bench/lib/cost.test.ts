import { describe, expect, it } from "vitest";
import {
  costLines,
  costLinesByEntrance,
  delayCostPerMillion,
  deliveriesFor,
  totalPerMillion,
  type UsagePerWebhook,
} from "../../../bench/lib/cost.js";

/** The design's worked example (docs/benchmarks.md, "Prices"): ≈ $4.02 per 1M webhooks. */
const WORKED_EXAMPLE: UsagePerWebhook = {
  ingress: { kind: "httpApi", requests: 1 },
  lambdas: [
    { fn: "verifier", invocations: 1, memoryMb: 256, msPerInvocation: 40 },
    { fn: "worker", invocations: 1, memoryMb: 256, msPerInvocation: 250 },
  ],
  coldStart: { share: 0, ms: 0 },
  dynamoDbWru: 2,
  dynamoDbRru: 0,
  sqsRequests: 1,
  sqsFifoRequests: 0,
  secretsManagerCalls: 0,
  logBytes: 0,
};

describe("costLines", () => {
  it("reproduces the worked example (≈ $4.02 per 1M webhooks)", () => {
    const lines = costLines(WORKED_EXAMPLE);
    expect(totalPerMillion(lines)).toBeCloseTo(4.02, 1);
    const byItem = Object.fromEntries(lines.map((l) => [l.item.split(" (")[0], l.perMillion]));
    expect(byItem["API Gateway HTTP API"]).toBeCloseTo(1.0);
    expect(byItem["DynamoDB writes"]).toBeCloseTo(1.25);
    expect(byItem.SQS).toBeCloseTo(0.4);
    expect(byItem["Lambda verifier"]).toBeCloseTo(0.33, 2);
    expect(byItem["Lambda worker"]).toBeCloseTo(1.03, 2);
  });

  it("charges nothing for a function URL beyond the receiver's invocation", () => {
    const viaUrl = costLines({ ...WORKED_EXAMPLE, ingress: { kind: "functionUrl", requests: 1 } });
    const entrance = viaUrl[0];
    expect(entrance?.item).toMatch(/^Lambda function URL/);
    expect(entrance?.perMillion).toBe(0);
    expect(totalPerMillion(costLines(WORKED_EXAMPLE)) - totalPerMillion(viaUrl)).toBeCloseTo(1.0);
  });

  it("prices both entrances side by side: the HTTP API's request and access-log line on top", () => {
    const { ingress: _, ...usage } = WORKED_EXAMPLE;
    const both = costLinesByEntrance(usage, 200);
    const total = (kind: "httpApi" | "functionUrl") => totalPerMillion(both[kind]);
    // $1.00 per million requests, and 200 bytes of access log at $0.50 per GB = $0.10.
    expect(total("httpApi") - total("functionUrl")).toBeCloseTo(1.1);
    expect(totalPerMillion(both.httpApi, { withLogs: false })).toBeCloseTo(
      totalPerMillion(both.functionUrl, { withLogs: false }) + 1.0,
    );
  });

  it("prices Secrets Manager at $0.05 per 10,000 calls", () => {
    const lines = costLines({ ...WORKED_EXAMPLE, secretsManagerCalls: 1 });
    expect(lines.find((l) => l.item === "Secrets Manager")?.perMillion).toBeCloseTo(5);
  });

  it("prices log ingestion at $0.50 per GB", () => {
    const lines = costLines({ ...WORKED_EXAMPLE, logBytes: 2600 });
    expect(lines.find((l) => l.item === "CloudWatch Logs ingestion")?.perMillion).toBeCloseTo(1.3);
  });

  it("bills INIT for the cold share of invocations at their mean memory", () => {
    const lines = costLines({ ...WORKED_EXAMPLE, coldStart: { share: 0.01, ms: 300 } });
    const init = lines.find((l) => l.item.startsWith("Lambda INIT"));
    // 2 invocations × 1% × 0.25 GB × 0.3 s × 1M × $0.0000133334
    expect(init?.perMillion).toBeCloseTo(0.02, 3);
  });
});

describe("totalPerMillion", () => {
  it("leaves the logs line out when asked", () => {
    const lines = costLines({ ...WORKED_EXAMPLE, logBytes: 2600 });
    expect(totalPerMillion(lines) - totalPerMillion(lines, { withLogs: false })).toBeCloseTo(1.3);
  });
});

describe("FIFO requests", () => {
  it("prices FIFO requests at $0.50 per million", () => {
    const lines = costLines({ ...WORKED_EXAMPLE, sqsFifoRequests: 2 });
    expect(lines.find((l) => l.item === "SQS FIFO")?.perMillion).toBeCloseTo(1.0);
  });
});

describe("what a reply's delay costs (chained vs scheduled)", () => {
  const MIN = 60_000;
  const DAY = 24 * 60 * MIN;
  const sender = { memoryMb: 256, ms: 10 };
  const options = (scheduled: boolean) => ({
    maxHopSeconds: 900,
    leadMs: 300_000,
    scheduled,
    sender,
  });

  it("chains one delivery per 900 s: 96 for a day, 5,760 for 60 days", () => {
    expect(deliveriesFor(MIN, options(false))).toBe(1);
    expect(deliveriesFor(DAY, options(false))).toBe(96);
    expect(deliveriesFor(60 * DAY, options(false))).toBe(5760);
  });

  it("takes the schedule's delivery and one final hop for anything past one hop", () => {
    for (const delay of [16 * MIN, 60 * MIN, DAY, 7 * DAY, 60 * DAY]) {
      expect(deliveriesFor(delay, options(true))).toBe(2);
    }
    expect(deliveriesFor(MIN, options(true))).toBe(1);
  });

  it("prices chaining a 60-day reply at about $8,200 per million, as docs/scheduling.md says", () => {
    expect(delayCostPerMillion(60 * DAY, options(false))).toBeGreaterThan(8000);
    expect(delayCostPerMillion(60 * DAY, options(false))).toBeLessThan(8400);
  });

  it("adds at most $3 per million through a schedule, whatever the delay (the issue's target)", () => {
    for (const delay of [MIN, 60 * MIN, DAY, 7 * DAY, 60 * DAY]) {
      expect(delayCostPerMillion(delay, options(true))).toBeLessThanOrEqual(3);
    }
  });
});
