import { alarmSpecs } from "../infra/components/PipelineAlarms.js";
import { parseStackSettings } from "../infra/config.js";
import { FUNCTION_SIZING } from "../infra/functionSizing.js";
import { FUNCTIONS } from "../lambdas/contract.js";
import { postWebhook, sampleWebhookBody, signatureFor } from "../local/sampleWebhook.js";
import type { LocalServices } from "../local/services/index.js";
import { stackFileSettings } from "../test/infra/support/stackFiles.js";
import { type BenchStack, startBenchStack } from "./lib/benchStack.js";
import { runClosedLoop } from "./lib/closedLoop.js";
import {
  type CostLine,
  costLines,
  fixedMonthlyLines,
  IDLE_RECEIVES_PER_MAPPING_MONTH,
  totalPerMillion,
  type UsagePerWebhook,
} from "./lib/costModel.js";
import type { OperationTally } from "./lib/countingProxy.js";
import * as fmt from "./lib/format.js";
import type { LogCapture, LogTally } from "./lib/logCapture.js";
import { PRICES } from "./lib/prices.js";
import type { Section, TargetCheck } from "./lib/section.js";
import type { Table } from "./lib/table.js";
import { waitFor } from "./lib/waitFor.js";

/**
 * Benchmark 3: AWS calls per webhook, counted at the local services (fauxqs and the Secrets
 * Manager stand-in count their calls; a counting proxy sits in front of DynamoDB Local and reads
 * back consumed capacity; the vendor simulator counts sends), phase by phase; and from those
 * counts and the cited price table, the cost per million webhooks.
 */

export interface CallsAndCostOptions {
  services: LocalServices;
  capture: LogCapture;
  /** Webhooks answered by one immediate reply. */
  webhooks: number;
  /** Webhooks answered by one reply due after several SQS hops. */
  hopWebhooks: number;
  /** Longest SQS hop for the hop scenario. */
  maxSqsDelaySeconds: number;
}

/** The reply scheduled HOP_DELAY_MS out takes two hops of 2 s and a last in-process wait. */
const HOP_DELAY_MS = 4500;
const RULES = [
  { match: "^cost now", messages: [{ text: "Thanks, we got your message.", delay: 0 }] },
  { match: "^cost later", messages: [{ text: "Here is the follow-up.", delay: HOP_DELAY_MS }] },
];

/**
 * Billed durations (assumptions; the local run cannot measure AWS latencies). Receiver: one SQS
 * round trip of a few ms plus work (the signature check, parsing, the log line). Responder: a
 * conversation write and an SQS send per record. Sender: dominated by the vendor's HTTP API
 * (≈ 250 ms, research §7) plus the marker writes; a hop is one SQS send.
 */
const BILLED_MS = { receiver: 20, responder: 60, sender: 300, senderHop: 30 } as const;
const COLD_START = { share: 0.01, ms: 300 };
/**
 * Lambda's own JSON log records per invocation: platform.start and platform.report (≈ 700 bytes)
 * are INFO lines, and infra sets the functions' system log level to WARN, so none are ingested
 * (infra/components/PipelineFunction.ts). Kept as a named 0 so the model says where they went.
 */
const PLATFORM_LOG_BYTES_PER_INVOCATION = 0;

interface PhaseCounts {
  label: string;
  webhooks: number;
  sqs: Record<string, number>;
  secrets: Record<string, number>;
  dynamo: Map<string, OperationTally>;
  vendor: Record<string, number>;
  invocations: { responder: number; sender: number };
  logs: Map<string, LogTally>;
}

const READ_OPERATIONS = new Set(["GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"]);

function diffCounts(after: Record<string, number>, before: Record<string, number>) {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(after)) {
    const delta = value - (before[key] ?? 0);
    if (delta) out[key] = delta;
  }
  return out;
}

export async function runCallsAndCost(options: CallsAndCostOptions): Promise<Section> {
  const { services, capture } = options;
  const stack = await startBenchStack({
    services,
    prefix: "bench-cost-",
    rules: RULES,
    maxSqsDelaySeconds: options.maxSqsDelaySeconds,
    countDynamoDb: true,
    withWorkers: true,
  });
  const counter = stack.dynamoDbCounter;
  if (!counter) throw new Error("the cost stack needs the DynamoDB counting proxy");

  const phase = async (label: string, webhooks: number, work: () => Promise<void>) => {
    const sqsBefore = Object.fromEntries(services.sqs.calls);
    const secretsBefore = Object.fromEntries(services.secretsManager.calls);
    const vendorBefore = stack.vendor.callCounts();
    const invocationsBefore = stack.workerInvocations();
    counter.reset();
    capture.reset();
    await work();
    const invocationsAfter = stack.workerInvocations();
    return {
      label,
      webhooks,
      sqs: diffCounts(Object.fromEntries(services.sqs.calls), sqsBefore),
      secrets: diffCounts(Object.fromEntries(services.secretsManager.calls), secretsBefore),
      dynamo: counter.tallies(),
      vendor: diffCounts(stack.vendor.callCounts(), vendorBefore),
      invocations: {
        responder: invocationsAfter.responder - invocationsBefore.responder,
        sender: invocationsAfter.sender - invocationsBefore.sender,
      },
      logs: capture.tally(),
    } satisfies PhaseCounts;
  };

  const bodies = (prefix: string, n: number, phoneBase: number) =>
    Array.from({ length: n }, (_, i) =>
      sampleWebhookBody({
        phone: String(phoneBase + i),
        text: `${prefix} ${i}`,
        at: Date.now() + i,
      }),
    );
  const post = async (list: string[], expected: string) => {
    const result = await runClosedLoop(
      { concurrency: 4, maxRequests: list.length, maxMs: 60_000 },
      async (index) => {
        const body = list[index] as string;
        const answer = await postWebhook(
          stack.receiverUrl,
          body,
          signatureFor(body, stack.signingSecret, stack.signatureScheme),
        );
        return `${answer.status} ${(answer.body as { status?: string }).status ?? ""}`;
      },
    );
    const got = result.outcomes[expected] ?? 0;
    if (got !== list.length) {
      throw new Error(
        `expected ${list.length} × "${expected}", got ${JSON.stringify(result.outcomes)}`,
      );
    }
  };
  const drain = async (expectedSends: number) => {
    stack.startWorkers();
    await waitFor(() => stack.vendor.sent().length >= expectedSends, {
      timeoutMs: 60_000,
      what: `${expectedSends} vendor sends`,
    });
    await waitForQuiet(stack);
    await stack.stopWorkers();
  };

  let phases: PhaseCounts[];
  try {
    const now = bodies("cost now", options.webhooks, 4915100000000);
    const later = bodies("cost later", options.hopWebhooks, 4915200000000);
    const sentBefore = () => stack.vendor.sent().length;
    const receiverNew = await phase("receiver, new delivery", options.webhooks, () =>
      post(now, "200 accepted"),
    );
    // A repeat inside SQS's window is the same one call, answered "accepted" (SQS drops it).
    const receiverDuplicate = await phase("receiver, duplicate delivery", options.webhooks, () =>
      post(now, "200 accepted"),
    );
    const pipelineNow = await phase("responder + sender, reply due at once", options.webhooks, () =>
      drain(sentBefore() + options.webhooks),
    );
    await post(later, "200 accepted");
    const pipelineLater = await phase(
      `responder + sender, reply due in ${HOP_DELAY_MS / 1000} s (hops ≤ ${options.maxSqsDelaySeconds} s)`,
      options.hopWebhooks,
      () => drain(sentBefore() + options.hopWebhooks),
    );
    phases = [receiverNew, receiverDuplicate, pipelineNow, pipelineLater];
  } finally {
    await stack.stop();
  }
  return report(options, phases, await accessLogLineBytes());
}

/** The stack files whose idle cost is published (docs/benchmarks.md). */
const STACK_FILES = ["dev", "staging", "prod"] as const;

/**
 * The fixed monthly cost of each stack file's stack when no webhook arrives: its secrets, its
 * alarms (counted by infra's own alarmSpecs, with the queues and functions infra/index.ts gives
 * it), its dashboard if configured, and Lambda's pollers on the two empty queues. Nothing else in
 * the stack bills while idle (on-demand tables, the HTTP API, Lambda, SNS; storage aside).
 */
function fixedCostTable(): Table {
  const alarms = alarmSpecs({
    deadLetterQueues: { jobs: "jobs-dlq", replies: "replies-dlq" },
    workQueues: { jobs: "jobs" },
    functions: { receiver: "receiver", responder: "responder", sender: "sender" },
    apiId: "api",
    region: "us-east-1",
  }).length;
  const rows = STACK_FILES.map((stack) => {
    const settings = parseStackSettings(stackFileSettings(stack));
    const lines = fixedMonthlyLines({
      secrets: 2,
      alarms,
      dashboards: settings.dashboard ? 1 : 0,
      idlePolling: { fifoMappings: 1, standardMappings: 1 },
    });
    const total = lines.reduce((sum, line) => sum + line.perMillion, 0);
    return [
      `Pulumi.${stack}.yaml`,
      ...lines.map((line) => `${fmt.count(line.quantity)} → ${fmt.usd(line.perMillion)}`),
      `**${fmt.usd(total)}**`,
    ];
  });
  return {
    title:
      "Fixed monthly cost of an idle stack, per stack file ($ per month; polling assumes 5 pollers × 20 s long polls per queue: " +
      `${IDLE_RECEIVES_PER_MAPPING_MONTH.toLocaleString("en-US")} empty receives per queue-month)`,
    headers: [
      "stack file",
      "secrets",
      "alarms",
      "dashboard (first 3 per account free)",
      "idle SQS polling",
      "total",
    ],
    rows,
    align: ["left", "right", "right", "right", "right", "right"],
  };
}

/** Waits until the workers have had no invocation for longer than a long poll. */
async function waitForQuiet(stack: BenchStack): Promise<void> {
  let last = JSON.stringify(stack.workerInvocations());
  let quietSince = Date.now();
  await waitFor(
    () => {
      const now = JSON.stringify(stack.workerInvocations());
      if (now !== last) {
        last = now;
        quietSince = Date.now();
      }
      return Date.now() - quietSince > 2500;
    },
    { timeoutMs: 60_000, what: "the workers to go quiet" },
  );
}

/** One access-log line as the HTTP API stage writes it (its format, with typical values). */
async function accessLogLineBytes(): Promise<number> {
  const { ACCESS_LOG_FORMAT } = await import("../infra/components/WebhookIngress.js");
  const sample: Record<string, string> = {
    "$context.requestId": "Jx8YbhQ3IAMEbQw=",
    "$context.identity.sourceIp": "203.0.113.10",
    "$context.requestTime": "26/Nov/2026:09:12:41 +0000",
    "$context.routeKey": "POST /webhooks/whatsapp",
    "$context.status": "200",
    "$context.responseLength": "23",
    "$context.responseLatency": "45",
    "$context.integrationLatency": "41",
    "$context.integrationErrorMessage": "-",
  };
  const line = ACCESS_LOG_FORMAT.replace(/\$context\.[A-Za-z.]+/g, (token) => sample[token] ?? "-");
  return Buffer.byteLength(line) + 1;
}

interface Derived {
  /** WRU spent on secondary indexes. */
  indexWru: number;
  sqsBillable: number;
  sqsEmptyReceives: number;
  wru: number;
  rru: number;
  logBytes: number;
  secrets: number;
  invocations: { receiver: number; responder: number; sender: number };
}

/** Per-webhook figures of one phase. */
function derive(p: PhaseCounts): Derived {
  const n = p.webhooks;
  const nonEmptyReceives = p.invocations.responder + p.invocations.sender;
  const receives = p.sqs.ReceiveMessage ?? 0;
  // GetQueueAttributes is the local poller looking up its queue ARN once: not AWS's cost.
  const billable = Object.entries(p.sqs)
    .filter(([op]) => op !== "ReceiveMessage" && op !== "GetQueueAttributes")
    .reduce((sum, [, count]) => sum + count, nonEmptyReceives);
  let wru = 0;
  let rru = 0;
  let indexWru = 0;
  for (const [op, tally] of p.dynamo) {
    if (READ_OPERATIONS.has(op)) {
      rru += tally.capacityUnits;
      continue;
    }
    // A failed conditional write is billed like a write (1 WRU for items ≤ 1 KB).
    wru += tally.capacityUnits + tally.conditionalCheckFailed;
    indexWru += tally.indexCapacityUnits;
  }
  const logBytes = [...p.logs.values()].reduce((sum, t) => sum + t.bytes, 0);
  return {
    indexWru: indexWru / n,
    sqsBillable: billable / n,
    sqsEmptyReceives: Math.max(0, receives - nonEmptyReceives) / n,
    wru: wru / n,
    rru: rru / n,
    logBytes: logBytes / n,
    secrets: Object.values(p.secrets).reduce((a, b) => a + b, 0) / n,
    invocations: {
      receiver: p.label.startsWith("receiver") ? 1 : 0,
      responder: p.invocations.responder / n,
      sender: p.invocations.sender / n,
    },
  };
}

function report(
  options: CallsAndCostOptions,
  phases: PhaseCounts[],
  accessLogBytes: number,
): Section {
  const tables: Table[] = [];
  const notes: string[] = [];
  const targets: TargetCheck[] = [];

  // Calls per webhook, per phase.
  const operations = new Set<string>();
  for (const p of phases) {
    for (const op of Object.keys(p.sqs)) operations.add(`SQS ${op}`);
    for (const op of p.dynamo.keys()) operations.add(`DynamoDB ${op}`);
    for (const op of Object.keys(p.secrets)) operations.add(`Secrets Manager ${op}`);
    for (const op of Object.keys(p.vendor)) operations.add(`vendor ${op}`);
  }
  const callsOf = (p: PhaseCounts, key: string): number => {
    const [service, ...rest] = key.split(" ");
    const op = rest.join(" ");
    if (service === "SQS") return p.sqs[op] ?? 0;
    if (service === "DynamoDB") return p.dynamo.get(op)?.calls ?? 0;
    if (key.startsWith("Secrets Manager "))
      return p.secrets[key.slice("Secrets Manager ".length)] ?? 0;
    return p.vendor[op] ?? 0;
  };
  const rows = [...operations]
    .sort()
    .map((key) => [key, ...phases.map((p) => fmt.count(callsOf(p, key) / p.webhooks))]);
  const derived = phases.map(derive);
  rows.push(
    [
      "worker invocations (Lambda requests)",
      ...phases.map((p) =>
        fmt.count((p.invocations.responder + p.invocations.sender) / p.webhooks),
      ),
    ],
    ["DynamoDB WRU (consumed capacity)", ...derived.map((d) => fmt.count(d.wru))],
    ["DynamoDB RRU (consumed capacity)", ...derived.map((d) => fmt.count(d.rru))],
    ["SQS billable requests (non-empty receives)", ...derived.map((d) => fmt.count(d.sqsBillable))],
    ["log bytes (handler JSON lines)", ...derived.map((d) => fmt.count(d.logBytes))],
  );
  tables.push({
    title:
      "AWS calls per webhook, counted at the local services (per reply message in the worker phases: one reply per webhook)",
    headers: ["call", ...phases.map((p) => `${p.label} (n=${p.webhooks})`)],
    rows,
    align: ["left", ...phases.map(() => "right" as const)],
  });

  const dynamoOps = [...new Set(phases.flatMap((p) => [...p.dynamo.keys()]))].sort();
  tables.push({
    title:
      "DynamoDB per webhook: calls and consumed capacity units (WRU for writes, RRU for reads; includes index writes)",
    headers: ["operation", ...phases.map((p) => p.label)],
    rows: dynamoOps.map((op) => [
      op,
      ...phases.map((p) => {
        const tally = p.dynamo.get(op);
        if (!tally) return "–";
        const units =
          tally.capacityUnits + (READ_OPERATIONS.has(op) ? 0 : tally.conditionalCheckFailed);
        const items =
          tally.items === tally.calls ? "" : ` (${fmt.count(tally.items / p.webhooks)} items)`;
        const onIndexes = tally.indexCapacityUnits
          ? ` (${fmt.count(tally.indexCapacityUnits / p.webhooks)} on indexes)`
          : "";
        const unit = READ_OPERATIONS.has(op) ? "RRU" : "WRU";
        return `${fmt.count(tally.calls / p.webhooks)} calls${items}, ${fmt.count(units / p.webhooks)} ${unit}${onIndexes}`;
      }),
    ]),
    align: ["left", ...phases.map(() => "right" as const)],
  });

  const [dNew, dDuplicate, dNow, dLater] = derived as [Derived, Derived, Derived, Derived];
  // The jobs queue is FIFO: the receiver's send, and the responder's receive and delete per
  // invocation; the rest is the standard replies queue.
  const fifoWorker = 2 * dNow.invocations.responder;
  const fifoRequests = dNew.sqsBillable + fifoWorker;
  const standardRequests = Math.max(0, dNow.sqsBillable - fifoWorker);
  const platformBytes = (invocations: number) => invocations * PLATFORM_LOG_BYTES_PER_INVOCATION;
  const usage: UsagePerWebhook = {
    httpApiRequests: 1,
    lambdas: [
      {
        fn: FUNCTIONS.receiver,
        invocations: 1,
        memoryMb: FUNCTION_SIZING.receiver.memoryMb,
        msPerInvocation: BILLED_MS.receiver,
      },
      {
        fn: FUNCTIONS.responder,
        invocations: dNow.invocations.responder,
        memoryMb: FUNCTION_SIZING.responder.memoryMb,
        msPerInvocation: BILLED_MS.responder,
      },
      {
        fn: FUNCTIONS.sender,
        invocations: dNow.invocations.sender,
        memoryMb: FUNCTION_SIZING.sender.memoryMb,
        msPerInvocation: BILLED_MS.sender,
      },
    ],
    coldStart: COLD_START,
    dynamoDbWru: dNew.wru + dNow.wru,
    dynamoDbRru: dNew.rru + dNow.rru,
    sqsRequests: standardRequests,
    sqsFifoRequests: fifoRequests,
    // Cached 300 s per warm environment: ≈ 0 per webhook at volume (see notes).
    secretsManagerCalls: 0,
    logBytes:
      dNew.logBytes +
      dNow.logBytes +
      platformBytes(1 + dNow.invocations.responder + dNow.invocations.sender),
    // The HTTP API access log group is Infrequent Access (infra/components/WebhookIngress.ts).
    infrequentAccessLogBytes: accessLogBytes,
  };
  const lines = costLines(usage);
  const withLogs = totalPerMillion(lines);
  const withoutLogs = totalPerMillion(lines, { withLogs: false });

  // Increments: a duplicate delivery, and one SQS hop of a later reply.
  const duplicateUsage: UsagePerWebhook = {
    httpApiRequests: 1,
    lambdas: [
      {
        fn: FUNCTIONS.receiver,
        invocations: 1,
        memoryMb: FUNCTION_SIZING.receiver.memoryMb,
        msPerInvocation: BILLED_MS.receiver,
      },
    ],
    coldStart: { share: 0, ms: 0 },
    dynamoDbWru: dDuplicate.wru,
    dynamoDbRru: dDuplicate.rru,
    sqsRequests: 0,
    sqsFifoRequests: dDuplicate.sqsBillable,
    secretsManagerCalls: 0,
    logBytes: dDuplicate.logBytes + platformBytes(1),
    infrequentAccessLogBytes: accessLogBytes,
  };
  const hops = 2;
  const hopUsage: UsagePerWebhook = {
    httpApiRequests: 0,
    lambdas: [
      {
        fn: `${FUNCTIONS.sender} (hop)`,
        invocations: Math.max(0, dLater.invocations.sender - dNow.invocations.sender) / hops,
        memoryMb: FUNCTION_SIZING.sender.memoryMb,
        msPerInvocation: BILLED_MS.senderHop,
      },
    ],
    coldStart: { share: 0, ms: 0 },
    dynamoDbWru: Math.max(0, dLater.wru - dNow.wru) / hops,
    dynamoDbRru: Math.max(0, dLater.rru - dNow.rru) / hops,
    sqsRequests: Math.max(0, dLater.sqsBillable - dNow.sqsBillable) / hops,
    secretsManagerCalls: 0,
    logBytes:
      Math.max(0, dLater.logBytes - dNow.logBytes) / hops +
      platformBytes(Math.max(0, dLater.invocations.sender - dNow.invocations.sender) / hops),
  };

  const costRows = (list: CostLine[]) =>
    list.map((line) => [
      line.item,
      `${fmt.count(line.quantity)} ${line.unit}`,
      fmt.usd(line.perMillion),
    ]);
  tables.push({
    title:
      "Cost per 1 million webhooks: a new delivery answered by one immediate reply (usage per webhook from the counts above)",
    headers: ["item", "per webhook", "$ per 1M webhooks"],
    rows: [
      ...costRows(lines),
      ["**total before logs**", "", `**${fmt.usd(withoutLogs)}**`],
      ["**total all-in**", "", `**${fmt.usd(withLogs)}**`],
      [
        "+ per duplicate delivery (each one)",
        "",
        fmt.usd(totalPerMillion(costLines(duplicateUsage))),
      ],
      [
        "+ per SQS hop of a later reply (each one)",
        "",
        fmt.usd(totalPerMillion(costLines(hopUsage))),
      ],
    ],
    align: ["left", "right", "right"],
  });
  tables.push(fixedCostTable());
  tables.push({
    title: "Price table (us-east-1 list prices, no free tier; AWS's own pricing pages)",
    headers: ["price", "per", "unit", "source"],
    rows: Object.values(PRICES).map((p) => [
      `$${p.usd}`,
      p.per === 1 ? "1" : p.per.toLocaleString("en-US"),
      p.unit,
      p.source,
    ]),
    align: ["right", "right", "left", "left"],
  });

  // Levers, from the measured counts (estimates: each removes the measured units at list price).
  const byItem = (prefix: string) => lines.find((l) => l.item.startsWith(prefix))?.perMillion ?? 0;
  const indexCost = (dNew.indexWru + dNow.indexWru) * PRICES.dynamoDbWru.usd;
  const logsCost = byItem("CloudWatch Logs");
  const dynamoCost = byItem("DynamoDB writes") + byItem("DynamoDB reads");
  const biggest = [...lines].sort((a, b) => b.perMillion - a.perMillion).slice(0, 3);
  notes.unshift(
    `Largest items: ${biggest.map((l) => `${l.item.split(" (")[0]} ${fmt.usd(l.perMillion)}`).join(", ")}. ` +
      `DynamoDB writes are ${fmt.count(usage.dynamoDbWru)} WRU per webhook (${fmt.count(dNew.wru)} on the receiver's path: its one call is the SQS send), ` +
      `all in the workers: the conversation log (the incoming message and the reply, via BatchWriteItem) and the sent-marker claim and "sent" mark; ` +
      `${fmt.count(dNew.indexWru + dNow.indexWru)} of those WRU are the conversation table's byUser index.`,
    `Levers (estimates from these counts): no byUser index (nothing reads it) saves ${fmt.usd(indexCost)}; ` +
      `the Infrequent Access log class ($0.25/GB) saves ${fmt.usd(logsCost / 2)}; both together give ≈ ${fmt.usd(withLogs - indexCost - logsCost / 2)} all-in. ` +
      `DynamoDB is ${fmt.usd(dynamoCost)} of the total: the conversation data model of issue 13 (CONTACT 1 + MSG 1 + PLAN 1 + claim 1 + SENT 1 = 5 WRU, ` +
      `the sent marker and the reply's item as one) is ${fmt.usd(5 * PRICES.dynamoDbWru.usd)} of writes.`,
  );

  targets.push(
    {
      target: "DynamoDB ≤ 5 WRU per webhook answered by one reply (issue 10)",
      measured: `${fmt.count(usage.dynamoDbWru)} WRU`,
      met: usage.dynamoDbWru <= 5,
    },
    {
      target: "cost ≤ $5 per 1M webhooks all-in (issue)",
      measured: fmt.usd(withLogs),
      met: withLogs <= 5,
    },
    {
      target: "cost ≤ $4.10 per 1M before logs, ≤ $5.50 all-in (target 4)",
      measured: `${fmt.usd(withoutLogs)} before logs, ${fmt.usd(withLogs)} all-in`,
      met: withoutLogs <= 4.1 && withLogs <= 5.5,
    },
  );

  notes.push(
    `Assumed billed durations (the local run cannot measure AWS latencies): receiver ${BILLED_MS.receiver} ms, ` +
      `responder ${BILLED_MS.responder} ms and sender ${BILLED_MS.sender} ms per invocation (the vendor's HTTP API dominates), ` +
      `a hop ${BILLED_MS.senderHop} ms; memory from infra/functionSizing.ts; arm64; ${COLD_START.share * 100}% cold starts × ${COLD_START.ms} ms INIT.`,
    `Worker invocations per webhook are as batched in this run (responder batch ≤ 10, sender ≤ 5; ${options.webhooks} webhooks posted 4 at a time). ` +
      "Sparse traffic gives batches of one (more Lambda requests and SQS receives/deletes per webhook); a batching window on the mappings keeps batches full at volume.",
    `SQS: receives are counted as billed only when they return messages (= worker invocations); the empty long-polls measured here ` +
      `(${fmt.count(dNow.sqsEmptyReceives)} per webhook in the reply phase, 1 s waits locally) are an idle cost of the pollers on AWS (20 s long polls), not a per-webhook one. ` +
      "GetQueueAttributes is the local poller reading its queue ARN and is left out.",
    `Secrets Manager: ${fmt.count(dNew.secrets)} GetSecretValue per webhook here (the first read of each cached secret: SECRET_CACHE_SECONDS = 300), ` +
      "so ≈ 0 per webhook at volume; each warm environment reads each secret about 12 times an hour (≈ $0.04 per environment-month) plus $0.40 per secret-month.",
    `Logs: handler JSON lines as measured (${fmt.count(dNew.logBytes)} bytes for the receiver, ${fmt.count(dNow.logBytes)} for the workers per webhook), ` +
      `plus ${PLATFORM_LOG_BYTES_PER_INVOCATION} bytes of Lambda platform records per invocation (JSON log format, system log level WARN: ` +
      `the ≈ 700 bytes of platform.start/report per invocation are not ingested) and one ${accessLogBytes}-byte HTTP API access-log line ` +
      "(infra ACCESS_LOG_FORMAT with typical values) into the Infrequent Access class.",
    "DynamoDB: WRU/RRU as DynamoDB Local reports them (ReturnConsumedCapacity, injected by the counting proxy); a failed conditional write is counted as 1 WRU, as DynamoDB bills it. Fixed monthly costs (secrets, alarms, dashboard, idle polling) are outside the per-webhook figure: see the idle-stack table.",
  );

  return {
    title: "3. AWS calls and cost per webhook",
    method:
      "The pipeline as wired locally (HTTP API stand-in → receiver → jobs queue → responder → replies queue → sender → vendor simulator), " +
      "driven in phases: new deliveries with the workers stopped, the same deliveries again, then the workers drain the queues. " +
      "Calls are counted at the services (fauxqs and the Secrets Manager stand-in count their own calls; a counting proxy in front of " +
      "DynamoDB Local counts calls and reads back consumed capacity; the vendor simulator counts sends) and divided by the webhooks of the phase. " +
      "Handler log bytes are counted from their stdout.",
    tables,
    targets,
    notes,
  };
}
