import { costOf, PRICES } from "./prices.js";

/**
 * Cost per million webhooks from usage per webhook (counted at the local services) and the price
 * table. Pure, so the arithmetic is tested on its own (test/bench/costModel.test.ts).
 */

export interface LambdaUsage {
  fn: string;
  /** Invocations per webhook (a batch of n records is one invocation). */
  invocations: number;
  memoryMb: number;
  /** Billed duration per invocation (assumption, stated in the report). */
  msPerInvocation: number;
}

export interface UsagePerWebhook {
  httpApiRequests: number;
  lambdas: LambdaUsage[];
  /** INIT: share of invocations that are cold, and the billed INIT duration. */
  coldStart: { share: number; ms: number };
  dynamoDbWru: number;
  dynamoDbRru: number;
  sqsRequests: number;
  secretsManagerCalls: number;
  /** Log bytes ingested per webhook (application lines + platform lines + access log). */
  logBytes: number;
}

export interface CostLine {
  item: string;
  /** Units per webhook, formatted by the caller. */
  quantity: number;
  unit: string;
  /** Dollars per million webhooks. */
  perMillion: number;
}

const MILLION = 1e6;

export function lambdaGbSeconds(lambda: LambdaUsage): number {
  return lambda.invocations * (lambda.memoryMb / 1024) * (lambda.msPerInvocation / 1000);
}

export function costLines(usage: UsagePerWebhook): CostLine[] {
  const lines: CostLine[] = [
    {
      item: "API Gateway HTTP API",
      quantity: usage.httpApiRequests,
      unit: "requests",
      perMillion: costOf(PRICES.httpApiRequest, usage.httpApiRequests * MILLION),
    },
  ];
  for (const lambda of usage.lambdas) {
    const gbSeconds = lambdaGbSeconds(lambda);
    lines.push({
      item: `Lambda ${lambda.fn} (${lambda.memoryMb} MB × ${lambda.msPerInvocation} ms per invocation)`,
      quantity: lambda.invocations,
      unit: "invocations",
      perMillion:
        costOf(PRICES.lambdaRequest, lambda.invocations * MILLION) +
        costOf(PRICES.lambdaGbSecondArm64, gbSeconds * MILLION),
    });
  }
  const invocations = usage.lambdas.reduce((sum, l) => sum + l.invocations, 0);
  const meanMemoryGb =
    invocations === 0
      ? 0
      : usage.lambdas.reduce((sum, l) => sum + l.invocations * (l.memoryMb / 1024), 0) /
        invocations;
  lines.push(
    {
      item: `Lambda INIT (${(usage.coldStart.share * 100).toFixed(0)}% cold × ${usage.coldStart.ms} ms)`,
      quantity: invocations * usage.coldStart.share,
      unit: "cold starts",
      perMillion: costOf(
        PRICES.lambdaGbSecondArm64,
        invocations * usage.coldStart.share * meanMemoryGb * (usage.coldStart.ms / 1000) * MILLION,
      ),
    },
    {
      item: "DynamoDB writes",
      quantity: usage.dynamoDbWru,
      unit: "WRU",
      perMillion: costOf(PRICES.dynamoDbWru, usage.dynamoDbWru * MILLION),
    },
    {
      item: "DynamoDB reads",
      quantity: usage.dynamoDbRru,
      unit: "RRU",
      perMillion: costOf(PRICES.dynamoDbRru, usage.dynamoDbRru * MILLION),
    },
    {
      item: "SQS",
      quantity: usage.sqsRequests,
      unit: "requests",
      perMillion: costOf(PRICES.sqsRequest, usage.sqsRequests * MILLION),
    },
    {
      item: "Secrets Manager",
      quantity: usage.secretsManagerCalls,
      unit: "calls",
      perMillion: costOf(PRICES.secretsManagerCall, usage.secretsManagerCalls * MILLION),
    },
    {
      item: "CloudWatch Logs ingestion",
      quantity: usage.logBytes,
      unit: "bytes",
      perMillion: costOf(PRICES.logsGbIngested, usage.logBytes * MILLION),
    },
  );
  return lines;
}

/** Sum of the lines, optionally without the logs line (research target 4 counts both ways). */
export function totalPerMillion(lines: CostLine[], options: { withLogs?: boolean } = {}): number {
  return lines
    .filter((line) => options.withLogs !== false || !line.item.startsWith("CloudWatch Logs"))
    .reduce((sum, line) => sum + line.perMillion, 0);
}
