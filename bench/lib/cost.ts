import { INGRESS_KINDS, type IngressKind } from "../../lambdas/contract.js";

/**
 * Cost per million webhooks from usage per webhook (counted at the local services) and AWS list
 * prices (us-east-1, no free tier; their sources are in docs/benchmarks.md, "Prices"). Pure,
 * tested in test/bench/lib/cost.test.ts.
 */

/** US dollars per unit. */
export const PRICES = {
  /** HTTP API request (first 300M a month; metered per 512 KB). */
  httpApiRequest: 1.0 / 1e6,
  lambdaRequest: 0.2 / 1e6,
  /** Lambda GB-second on arm64 (billed per 1 ms; INIT billed since 2025-08-01). */
  lambdaGbSecondArm64: 0.0000133334,
  /** SQS standard request (each 64 KB chunk is one; empty receives billed). */
  sqsRequest: 0.4 / 1e6,
  /** SQS FIFO request (the jobs queue). */
  sqsFifoRequest: 0.5 / 1e6,
  /** DynamoDB on-demand write request unit (1 KB). */
  dynamoDbWru: 0.625 / 1e6,
  /** DynamoDB on-demand read request unit (4 KB, strongly consistent). */
  dynamoDbRru: 0.125 / 1e6,
  /**
   * EventBridge Scheduler invocation (a schedule firing), after 14M free a month; creating and
   * deleting schedules has no price line of its own.
   */
  schedulerInvocation: 1.0 / 1e6,
  /** Secrets Manager API call (+ $0.40 per secret-month, fixed). */
  secretsManagerCall: 0.05 / 1e4,
  /** CloudWatch Logs byte ingested, Standard class ($0.50/GB). */
  logsByte: 0.5 / 1e9,
};

/** Invocations per webhook (a batch is one), memory, and billed ms per invocation (assumed). */
type LambdaUsage = { fn: string } & Record<"invocations" | "memoryMb" | "msPerInvocation", number>;

export interface UsagePerWebhook {
  /** The entrance and the requests it takes per webhook. A function URL has no charge of its own
   * (the receiver's invocation is its bill); an HTTP API charges per request. */
  ingress: { kind: IngressKind; requests: number };
  lambdas: LambdaUsage[];
  /** INIT: share of invocations that are cold, and the billed INIT duration. */
  coldStart: { share: number; ms: number };
  dynamoDbWru: number;
  dynamoDbRru: number;
  /** Standard queues (replies), and FIFO ones (jobs). */
  sqsRequests: number;
  sqsFifoRequests: number;
  secretsManagerCalls: number;
  /** Log bytes ingested per webhook (application + platform lines + an HTTP API's access log). */
  logBytes: number;
}

/** One line of the bill: `quantity` of `unit` per webhook, dollars per million webhooks. */
export type CostLine = { item: string; quantity: number; unit: string; perMillion: number };

export function costLines(usage: UsagePerWebhook): CostLine[] {
  const line = (item: string, quantity: number, unit: string, usdPerUnit: number) => ({
    item,
    quantity,
    unit,
    perMillion: quantity * usdPerUnit * 1e6,
  });
  const invocations = usage.lambdas.reduce((sum, l) => sum + l.invocations, 0);
  const memoryGbSum = usage.lambdas.reduce(
    (sum, l) => sum + l.invocations * (l.memoryMb / 1024),
    0,
  );
  const cold = usage.coldStart;
  return [
    usage.ingress.kind === "httpApi"
      ? line("API Gateway HTTP API", usage.ingress.requests, "requests", PRICES.httpApiRequest)
      : line(
          "Lambda function URL (billed as the receiver's invocations)",
          usage.ingress.requests,
          "requests",
          0,
        ),
    ...usage.lambdas.map((l) =>
      line(
        `Lambda ${l.fn} (${l.memoryMb} MB × ${l.msPerInvocation} ms per invocation)`,
        l.invocations,
        "invocations",
        PRICES.lambdaRequest +
          (l.memoryMb / 1024) * (l.msPerInvocation / 1000) * PRICES.lambdaGbSecondArm64,
      ),
    ),
    // INIT is billed at the mean memory of the invocations that start cold.
    line(
      `Lambda INIT (${(cold.share * 100).toFixed(0)}% cold × ${cold.ms} ms)`,
      invocations * cold.share,
      "cold starts",
      (invocations ? memoryGbSum / invocations : 0) * (cold.ms / 1000) * PRICES.lambdaGbSecondArm64,
    ),
    line("DynamoDB writes", usage.dynamoDbWru, "WRU", PRICES.dynamoDbWru),
    line("DynamoDB reads", usage.dynamoDbRru, "RRU", PRICES.dynamoDbRru),
    line("SQS", usage.sqsRequests, "requests", PRICES.sqsRequest),
    line("SQS FIFO", usage.sqsFifoRequests, "requests", PRICES.sqsFifoRequest),
    line("Secrets Manager", usage.secretsManagerCalls, "calls", PRICES.secretsManagerCall),
    line("CloudWatch Logs ingestion", usage.logBytes, "bytes", PRICES.logsByte),
  ];
}

/**
 * The same webhook through each entrance: an HTTP API adds its request and its access-log line;
 * a function URL adds neither (the receiver's invocation is its bill, and its request log is the
 * receiver's own "webhook" line, already in `logBytes`). Pure.
 */
export function costLinesByEntrance(
  usage: Omit<UsagePerWebhook, "ingress">,
  httpApiAccessLogBytes: number,
): Record<IngressKind, CostLine[]> {
  const through = (kind: IngressKind) =>
    costLines({
      ...usage,
      ingress: { kind, requests: 1 },
      logBytes: usage.logBytes + (kind === "httpApi" ? httpApiAccessLogBytes : 0),
    });
  return Object.fromEntries(INGRESS_KINDS.map((kind) => [kind, through(kind)])) as Record<
    IngressKind,
    CostLine[]
  >;
}

/** Sum of the lines, optionally without the logs line (the cost targets count both ways). */
export function totalPerMillion(lines: CostLine[], options: { withLogs?: boolean } = {}): number {
  return lines
    .filter((l) => options.withLogs !== false || !l.item.startsWith("CloudWatch Logs"))
    .reduce((sum, l) => sum + l.perMillion, 0);
}

// ── What a reply's delay costs: chaining through SQS vs one schedule (docs/scheduling.md §3a) ──

/**
 * One delivery of a reply through the replies queue, one message at a time (no batching: the
 * upper bound): SendMessage, ReceiveMessage and DeleteMessage, and the sender's invocation for it
 * (`memoryMb` × `ms`, a hop's short run).
 */
function deliveryCost(sender: { memoryMb: number; ms: number }): number {
  return (
    3 * PRICES.sqsRequest +
    PRICES.lambdaRequest +
    (sender.memoryMb / 1024) * (sender.ms / 1000) * PRICES.lambdaGbSecondArm64
  );
}

/**
 * Deliveries through the replies queue (the responder's message, then each hop of the sender)
 * until a reply `delayMs` away is sent: chained, or, further than one hop, through a schedule
 * that fires `leadMs` before it is due (the schedule's own send is the first delivery).
 */
export function deliveriesFor(
  delayMs: number,
  options: { maxHopSeconds: number; scheduled: boolean; leadMs: number },
): number {
  const hopMs = options.maxHopSeconds * 1000;
  // The first delivery: the schedule's send when it fires (no delay), or the responder's message
  // held back as long as one hop allows.
  let now =
    options.scheduled && delayMs > hopMs
      ? delayMs - options.leadMs
      : Math.min(Math.floor(delayMs / 1000) * 1000, hopMs);
  let deliveries = 1;
  while (delayMs - now >= 1000) {
    now += Math.min(Math.floor((delayMs - now) / 1000) * 1000, hopMs);
    deliveries += 1;
  }
  return deliveries;
}

/**
 * What a delay adds, in dollars per million replies, to a reply due at once (one delivery):
 * the extra deliveries, and the schedule's invocation when there is one.
 */
export function delayCostPerMillion(
  delayMs: number,
  options: {
    maxHopSeconds: number;
    scheduled: boolean;
    leadMs: number;
    sender: { memoryMb: number; ms: number };
  },
): number {
  const extra = deliveriesFor(delayMs, options) - 1;
  const scheduled = options.scheduled && delayMs > options.maxHopSeconds * 1000;
  return (
    (extra * deliveryCost(options.sender) + (scheduled ? PRICES.schedulerInvocation : 0)) * 1e6
  );
}
