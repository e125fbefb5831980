import { FUNCTION_SIZING } from "../infra/functionSizing.js";
import { DEFAULT_INGRESS, type IngressKind } from "../lambdas/contract.js";
import { type CountingProxy, startCountingProxy } from "../local/countingProxy.js";
import { sampleWebhookBody } from "../local/sampleWebhook.js";
import type { LocalServices } from "../local/services/index.js";
import { costLinesByEntrance, PRICES, totalPerMillion } from "./lib/cost.js";
import { runClosedLoop, waitFor } from "./lib/measure.js";
import { fmt, type Section } from "./lib/report.js";
import * as bench from "./lib/stack.js";

/**
 * Benchmark 3: AWS calls per webhook, counted where they arrive, phase by phase; and from them the
 * cost per million webhooks. Billed durations are assumed (a local run cannot measure AWS's): the
 * receiver makes one SQS round trip of a few ms, the responder a log write and an SQS send, the
 * sender waits on the vendor's HTTP API (≈ 250 ms) plus the reply item writes.
 */
const BILLED_MS = { receiver: 20, responder: 60, sender: 300 } as const;
const COLD_START = { share: 0.01, ms: 300 };
const READS = /^(GetItem|Query|Scan|BatchGetItem|TransactGetItems)$/;

/** What one phase cost per webhook; calls per "<service> <operation>". */
type Phase = { label: string; n: number; calls: Record<string, number>; logBytes: number } & Record<
  "wru" | "rru" | "sqsBilled",
  number
> & { invocations: { responder: number; sender: number } };

export async function runCallsAndCost(options: {
  services: LocalServices;
  capture: bench.LogCapture;
  webhooks: number;
}): Promise<Section> {
  const { services, capture, webhooks: n } = options;
  const rules = [{ match: "^cost", messages: [{ text: "Thanks!", delay: 0 }] }];
  let counter: CountingProxy | undefined;
  const wrapEndpoint = async (service: string, endpoint: string) => {
    if (service === "dynamodb") counter = await startCountingProxy(endpoint);
    return service === "dynamodb" ? counter : undefined;
  };
  const stack = await bench.startBenchStack(services, "bench-cost-", { rules, wrapEndpoint });
  if (!counter) throw new Error("the cost stack needs the DynamoDB counting proxy");
  const dynamo = counter;
  const invoked = () => ({
    responder: stack.workers.responder?.invocations() ?? 0,
    sender: stack.workers.sender?.invocations() ?? 0,
  });
  const counts = (): Record<string, number> => {
    const named = (service: string, calls: Iterable<[string, number]>) =>
      [...calls].map(([op, count]) => [`${service} ${op}`, count] as const);
    return Object.fromEntries([
      ...named("SQS", services.sqs.calls),
      ...named("Secrets Manager", services.secretsManager.calls),
      ...named("vendor", Object.entries(stack.vendor.callCounts())),
    ]);
  };
  const phase = async (label: string, work: () => Promise<void>): Promise<Phase> => {
    const before = { calls: counts(), invocations: invoked() };
    dynamo.reset();
    capture.reset();
    await work();
    const after = { calls: counts(), invocations: invoked() };
    const calls: Record<string, number> = {};
    for (const [key, value] of Object.entries(after.calls)) {
      if (value !== (before.calls[key] ?? 0)) calls[key] = (value - (before.calls[key] ?? 0)) / n;
    }
    const units = { wru: 0, rru: 0 };
    for (const [op, t] of dynamo.tallies()) {
      calls[`DynamoDB ${op}`] = t.calls / n;
      if (READS.test(op)) units.rru += t.capacityUnits / n;
      // A failed conditional write is billed like a write (1 WRU for items ≤ 1 KB).
      else units.wru += (t.capacityUnits + t.conditionalCheckFailed) / n;
    }
    const invocations = {
      responder: (after.invocations.responder - before.invocations.responder) / n,
      sender: (after.invocations.sender - before.invocations.sender) / n,
    };
    const receives = invocations.responder + invocations.sender;
    // Billed receives are those that return messages (= invocations); GetQueueAttributes is the
    // local poller reading its queue ARN once.
    const sqsBilled = Object.entries(calls)
      .filter(([key]) => key.startsWith("SQS ") && !/ReceiveMessage|GetQueueAttributes/.test(key))
      .reduce((sum, [, count]) => sum + count, receives);
    const logBytes = capture.bytes() / n;
    return { label, n, calls, ...units, sqsBilled, invocations, logBytes };
  };
  const bodies = Array.from({ length: n }, (_, i) =>
    sampleWebhookBody({ phone: String(4915100000000 + i), text: `cost ${i}`, at: Date.now() + i }),
  );
  // A repeat inside SQS's window is the same one call, answered "accepted" (SQS drops it).
  const post = async () => {
    const bounds = { concurrency: 4, maxRequests: n, maxMs: 60_000 };
    const result = await runClosedLoop(bounds, (i) => bench.postSigned(stack, bodies[i] as string));
    const accepted = result.outcomes["200 accepted"];
    if (accepted !== n)
      throw new Error(`expected ${n} accepted, got ${JSON.stringify(result.outcomes)}`);
  };
  let phases: Phase[];
  try {
    /** Until no worker has been invoked for longer than a long poll. */
    const quiet = async (what: string) => {
      let [last, since] = ["", Date.now()];
      const still = () => {
        if (JSON.stringify(invoked()) !== last)
          [last, since] = [JSON.stringify(invoked()), Date.now()];
        return Date.now() - since > 2500;
      };
      await waitFor(still, { timeoutMs: 60_000, what });
    };
    // At volume, each worker finds a backlog and takes full batches (the responder 10 jobs, the
    // sender 5 replies): the responder drains the jobs first, then the sender the replies.
    const drain = async () => {
      stack.workers.responder?.start();
      await waitFor(() => invoked().responder > 0, { timeoutMs: 60_000, what: "the responder" });
      await quiet("the responder to go quiet");
      stack.workers.sender?.start();
      const what = `${n} vendor sends`;
      await waitFor(() => stack.vendor.sent().length >= n, { timeoutMs: 60_000, what });
      await quiet("the workers to go quiet");
      await stack.stopWorkers();
    };
    phases = [
      await phase("receiver, new delivery", post),
      await phase("receiver, duplicate delivery", post),
      await phase("responder + sender, reply due at once", drain),
    ];
  } finally {
    await stack.stop();
  }
  return report(phases as [Phase, Phase, Phase], await accessLogLineBytes());
}

/** One access-log line as the HTTP API stage writes it: its format, each value ~12 characters. */
async function accessLogLineBytes(): Promise<number> {
  const { ACCESS_LOG_FORMAT } = await import("../infra/components/WebhookIngress.js");
  return Buffer.byteLength(ACCESS_LOG_FORMAT.replace(/\$context\.[A-Za-z.]+/g, "x".repeat(12))) + 1;
}

function report([fresh, duplicate, reply]: [Phase, Phase, Phase], accessLogLine: number): Section {
  const phases = [fresh, duplicate, reply];
  const keys = [...new Set(phases.flatMap((p) => Object.keys(p.calls)))].sort();
  const row = (label: string, figure: (p: Phase) => number) => [
    label,
    ...phases.map((p) => fmt.count(figure(p))),
  ];
  const lambda = (fn: keyof typeof FUNCTION_SIZING, invocations: number) => ({
    fn,
    invocations,
    memoryMb: FUNCTION_SIZING[fn].memoryMb,
    msPerInvocation: BILLED_MS[fn],
  });
  const { responder, sender } = reply.invocations;
  // The jobs queue is FIFO: the receiver's send, and the responder's receive and delete per
  // invocation; the rest of the reply phase is the standard replies queue.
  const fifoWorker = 2 * responder;
  const usage = {
    lambdas: [lambda("receiver", 1), lambda("responder", responder), lambda("sender", sender)],
    coldStart: COLD_START,
    dynamoDbWru: fresh.wru + reply.wru,
    dynamoDbRru: fresh.rru + reply.rru,
    sqsRequests: Math.max(0, reply.sqsBilled - fifoWorker),
    sqsFifoRequests: fresh.sqsBilled + fifoWorker,
    // Cached for SECRET_CACHE_SECONDS per warm environment: ≈ 0 per webhook at volume.
    secretsManagerCalls: 0,
    // Lambda's own records (platform.start, platform.report) are INFO and the functions' system
    // log level is WARN (PipelineFunction): none are ingested. The HTTP API's access-log line is
    // added per entrance (costLinesByEntrance).
    logBytes: fresh.logBytes + reply.logBytes,
  };
  const byEntrance = costLinesByEntrance(usage, accessLogLine);
  const figures = (kind: IngressKind) => ({
    withLogs: totalPerMillion(byEntrance[kind]),
    withoutLogs: totalPerMillion(byEntrance[kind], { withLogs: false }),
  });
  // The detailed bill is the default entrance's; the targets are judged on the cost option, the
  // entrance a stack chooses when the $5 matters more than API Gateway's features.
  const lines = byEntrance[DEFAULT_INGRESS];
  const cheap = figures("functionUrl");
  const biggest = [...lines].sort((a, b) => b.perMillion - a.perMillion).slice(0, 3);
  return {
    title: "3. AWS calls and cost per webhook",
    tables: [
      {
        title: `AWS calls per webhook, counted at the local services (n = ${fresh.n})`,
        headers: ["call", ...phases.map((p) => p.label)],
        rows: [
          ...keys.map((key) => row(key, (p) => p.calls[key] ?? 0)),
          row(
            "worker invocations (Lambda requests)",
            (p) => p.invocations.responder + p.invocations.sender,
          ),
          row("DynamoDB WRU (consumed capacity)", (p) => p.wru),
          row("DynamoDB RRU (consumed capacity)", (p) => p.rru),
          row("SQS billable requests", (p) => p.sqsBilled),
          row("log bytes (handler JSON lines)", (p) => p.logBytes),
        ],
        align: ["left", "right", "right", "right"],
      },
      {
        title: `Cost per 1 million webhooks through the default entrance (ingress "${DEFAULT_INGRESS}"), each a new delivery answered by one immediate reply, at volume (full worker batches)`,
        headers: ["item", "per webhook", "$ per 1M webhooks"],
        rows: [
          ...lines.map((l) => [
            l.item,
            `${fmt.count(l.quantity)} ${l.unit}`,
            fmt.usd(l.perMillion),
          ]),
          ["**total before logs**", "", `**${fmt.usd(figures(DEFAULT_INGRESS).withoutLogs)}**`],
          ["**total all-in**", "", `**${fmt.usd(figures(DEFAULT_INGRESS).withLogs)}**`],
        ],
      },
    ],
    targets: [
      {
        target: "DynamoDB ≤ 5 WRU per webhook answered by one reply",
        measured: `${fmt.count(fresh.wru + reply.wru)} WRU (${fmt.count(fresh.wru)} on the receiver's path)`,
        met: fresh.wru + reply.wru <= 5,
      },
      {
        target:
          'cost ≤ $5 per 1M webhooks all-in (at volume: full worker batches), with ingress "functionUrl"',
        measured: `${fmt.usd(cheap.withLogs)} (the default httpApi: ${fmt.usd(figures("httpApi").withLogs)})`,
        met: cheap.withLogs <= 5,
      },
      {
        target: 'cost ≤ $4.10 per 1M before logs, ≤ $5.50 all-in, with ingress "functionUrl"',
        measured: `${fmt.usd(cheap.withoutLogs)} before logs, ${fmt.usd(cheap.withLogs)} all-in`,
        met: cheap.withoutLogs <= 4.1 && cheap.withLogs <= 5.5,
      },
    ],
    notes: [
      `At volume: the workers drain a backlog in full batches (responder ${fmt.count(responder)}, ` +
        `sender ${fmt.count(sender)} invocations per webhook).`,
      `Largest: ${biggest.map((l) => `${l.item.split(" (")[0]} ${fmt.usd(l.perMillion)}`).join(", ")}.`,
      `Assumed: billed ms per invocation ${JSON.stringify(BILLED_MS)}, ${COLD_START.share * 100}% cold starts × ` +
        `${COLD_START.ms} ms, no platform log lines (system log level WARN); ` +
        "memory from infra/functionSizing.ts, arm64. The HTTP API adds " +
        `${fmt.usd(PRICES.httpApiRequest * 1e6)} for its requests and ` +
        `${fmt.usd(accessLogLine * PRICES.logsByte * 1e6)} for its ${accessLogLine}-byte access-log line; ` +
        "a function URL adds nothing (its request log is the receiver's own line).",
    ],
  };
}
