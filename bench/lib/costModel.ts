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
  /** Requests to standard queues (the replies queue). */
  sqsRequests: number;
  /** Requests to FIFO queues (the jobs queue), priced higher; default 0. */
  sqsFifoRequests?: number;
  secretsManagerCalls: number;
  /** Log bytes ingested per webhook into Standard-class log groups (the functions' lines). */
  logBytes: number;
  /** Log bytes ingested per webhook into Infrequent Access log groups (the access log); default 0. */
  infrequentAccessLogBytes?: number;
}

export interface CostLine {
  item: string;
  /** Units per webhook (per month for fixed lines), formatted by the caller. */
  quantity: number;
  unit: string;
  /** Dollars per million webhooks (per month for fixed lines). */
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
      item: "SQS FIFO",
      quantity: usage.sqsFifoRequests ?? 0,
      unit: "requests",
      perMillion: costOf(PRICES.sqsFifoRequest, (usage.sqsFifoRequests ?? 0) * MILLION),
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
    {
      item: "CloudWatch Logs ingestion, Infrequent Access",
      quantity: usage.infrequentAccessLogBytes ?? 0,
      unit: "bytes",
      perMillion: costOf(
        PRICES.logsGbIngestedInfrequentAccess,
        (usage.infrequentAccessLogBytes ?? 0) * MILLION,
      ),
    },
  );
  return lines.filter((line) => line.quantity > 0 || !OPTIONAL_ITEMS.has(line.item));
}

/** Lines shown only when used (a design without a FIFO queue or an IA log group). */
const OPTIONAL_ITEMS = new Set(["SQS FIFO", "CloudWatch Logs ingestion, Infrequent Access"]);

/** What an idle stack keeps paying for, counted from its stack file (see fixedMonthlyLines). */
export interface IdleStack {
  secrets: number;
  alarms: number;
  /** CloudWatch dashboards (the first 3 per account are free; counted at list price here). */
  dashboards: number;
  /** Lambda's SQS pollers on an empty queue, per event source mapping. */
  idlePolling: { fifoMappings: number; standardMappings: number };
}

/**
 * Lambda's pollers keep long-polling an empty queue: assumed 5 pollers per mapping (Lambda's
 * documented starting number for SQS) each issuing a 20 s ReceiveMessage: 3 × 60 × 24 × 30 × 5.
 */
export const IDLE_RECEIVES_PER_MAPPING_MONTH = 5 * 3 * 60 * 24 * 30;

/** Fixed monthly dollars of an idle stack, one line per item. Pure. */
export function fixedMonthlyLines(stack: IdleStack): CostLine[] {
  const { fifoMappings, standardMappings } = stack.idlePolling;
  return [
    {
      item: "Secrets Manager secrets",
      quantity: stack.secrets,
      unit: "secrets",
      perMillion: costOf(PRICES.secretMonth, stack.secrets),
    },
    {
      item: "CloudWatch alarms (standard resolution)",
      quantity: stack.alarms,
      unit: "alarms",
      perMillion: costOf(PRICES.alarmMonth, stack.alarms),
    },
    {
      item: "CloudWatch dashboard",
      quantity: stack.dashboards,
      unit: "dashboards",
      perMillion: costOf(PRICES.dashboardMonth, stack.dashboards),
    },
    {
      item: "Idle SQS polling by Lambda (empty 20 s receives)",
      quantity: (fifoMappings + standardMappings) * IDLE_RECEIVES_PER_MAPPING_MONTH,
      unit: "requests",
      perMillion:
        costOf(PRICES.sqsFifoRequest, fifoMappings * IDLE_RECEIVES_PER_MAPPING_MONTH) +
        costOf(PRICES.sqsRequest, standardMappings * IDLE_RECEIVES_PER_MAPPING_MONTH),
    },
  ];
}

/** Sum of the lines, optionally without the logs line (research target 4 counts both ways). */
export function totalPerMillion(lines: CostLine[], options: { withLogs?: boolean } = {}): number {
  return lines
    .filter((line) => options.withLogs !== false || !line.item.startsWith("CloudWatch Logs"))
    .reduce((sum, line) => sum + line.perMillion, 0);
}
