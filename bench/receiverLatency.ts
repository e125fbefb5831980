import { createSqsClient } from "../lambdas/adapters/awsClients.js";
import type { WebhookJob } from "../lambdas/core/messages.js";
import { parseWebhook } from "../lambdas/core/parseWebhook.js";
import { sampleWebhookBody } from "../local/sampleWebhook.js";
import type { LocalServices } from "../local/services/index.js";
import { startBenchStack } from "./lib/benchStack.js";
import { type ClosedLoopResult, runClosedLoop } from "./lib/closedLoop.js";
import { floorKey, ReceiverFloor, startFloorServer } from "./lib/floor.js";
import * as fmt from "./lib/format.js";
import { startLoadClient } from "./lib/loadDriver.js";
import type { Section, TargetCheck } from "./lib/section.js";
import { summarize } from "./lib/stats.js";
import type { Table } from "./lib/table.js";

/**
 * Benchmark 1: the receiver's latency and throughput through the local HTTP endpoint, at several
 * concurrencies, next to the floor its dependencies set (ReceiverFloor) measured in the same run.
 */

export interface ReceiverLatencyOptions {
  services: LocalServices;
  concurrencies: number[];
  /** Per measurement cell and round. */
  maxRequests: number;
  maxMs: number;
  /** Rounds alternate the paths, so drift (JIT, table growth) hits all of them alike. */
  rounds: number;
  warmupRequests: number;
}

type Path = "floor" | "floorHttp" | "receiver";
type Mode = "new" | "duplicate";

/** New or repeat, the receiver makes the same one call; so does the floor. */
const PATHS: Record<Mode, Path[]> = {
  new: ["floor", "floorHttp", "receiver"],
  duplicate: ["floor", "floorHttp", "receiver"],
};

const PATH_LABEL: Record<Path, string> = {
  floor: "SendMessage (FIFO) bare, in-process",
  floorHttp: "floor: SendMessage behind the HTTP API stand-in",
  receiver: "receiver: HTTP API stand-in → handler",
};

/** Target 1 of research/pipeline.md and the issue's ratio target. */
const TARGET_RATIO_P50 = 1.3;
const TARGET_P50_MS = 60;
const TARGET_P99_MS = 150;

interface Cell {
  latencies: number[];
  completed: number;
  elapsedMs: number;
  outcomes: Record<string, number>;
  errors: number;
  firstError?: string;
}

function emptyCell(): Cell {
  return { latencies: [], completed: 0, elapsedMs: 0, outcomes: {}, errors: 0 };
}

function addTo(cell: Cell, result: ClosedLoopResult): void {
  cell.latencies.push(...result.latenciesMs);
  cell.completed += result.latenciesMs.length;
  cell.elapsedMs += result.elapsedMs;
  cell.errors += result.errors;
  if (result.firstError && !cell.firstError) cell.firstError = result.firstError;
  for (const [outcome, n] of Object.entries(result.outcomes)) {
    cell.outcomes[outcome] = (cell.outcomes[outcome] ?? 0) + n;
  }
}

export async function runReceiverLatency(options: ReceiverLatencyOptions): Promise<Section> {
  const stack = await startBenchStack({ services: options.services, prefix: "bench-latency-" });
  const client = await startLoadClient();
  const sqs = createSqsClient(options.services.awsEnv);
  const sampleBody = sampleWebhookBody({ phone: "4915112345678", text: "bench sample", at: 0 });
  const job: WebhookJob = {
    kind: "webhook-job",
    version: 1,
    key: floorKey(sampleBody),
    acceptedAt: Date.now(),
    webhook: parseWebhook(sampleBody),
  };
  const floor = new ReceiverFloor(
    sqs,
    stack.resources.queues.jobs,
    JSON.stringify(job),
    job.webhook.phone,
  );
  const floorServer = await startFloorServer(floor);
  const cells = new Map<string, Cell>();
  const cellOf = (path: Path, mode: Mode, concurrency: number) => {
    const id = `${path}/${mode}/${concurrency}`;
    let cell = cells.get(id);
    if (!cell) {
      cell = emptyCell();
      cells.set(id, cell);
    }
    return cell;
  };

  let tagCounter = 0;
  const measure = async (
    path: Path,
    mode: Mode,
    concurrency: number,
    bounds: { maxRequests: number; maxMs: number },
  ): Promise<ClosedLoopResult> => {
    const runTag = `${path}-${mode}-${concurrency}-${++tagCounter}-${Date.now()}`;
    if (path === "floor") {
      if (mode === "duplicate") await floor.receive(floorKey(runTag));
      return runClosedLoop({ concurrency, ...bounds }, async (index) => {
        const key = floorKey(mode === "duplicate" ? runTag : `${runTag}-${index}`);
        return `200 ${await floor.receive(key)}`;
      });
    }
    const url = path === "floorHttp" ? floorServer.url : stack.receiverUrl;
    const job = {
      url,
      runTag,
      secret: stack.signingSecret,
      scheme: stack.signatureScheme,
    };
    if (mode === "duplicate") {
      // The first delivery of the repeated body is new; send it before the clock starts.
      await client.run({ ...job, mode: "repeat", concurrency: 1, maxRequests: 1, maxMs: 5000 });
    }
    return client.run({
      ...job,
      mode: mode === "new" ? "distinct" : "repeat",
      concurrency,
      ...bounds,
    });
  };

  const modes: Mode[] = ["new", "duplicate"];
  try {
    // Warm-up: JIT, connection pools, the secret cache, DynamoDB Local's own warm-up.
    for (const mode of modes) {
      for (const path of PATHS[mode]) {
        await measure(path, mode, 8, { maxRequests: options.warmupRequests, maxMs: 5000 });
      }
    }
    for (const concurrency of options.concurrencies) {
      for (let round = 0; round < options.rounds; round++) {
        for (const mode of modes) {
          const order = round % 2 === 0 ? PATHS[mode] : [...PATHS[mode]].reverse();
          for (const path of order) {
            addTo(
              cellOf(path, mode, concurrency),
              await measure(path, mode, concurrency, {
                maxRequests: options.maxRequests,
                maxMs: options.maxMs,
              }),
            );
          }
        }
      }
    }
  } finally {
    await client.stop();
    await floorServer.stop();
    sqs.destroy();
    await stack.stop();
  }

  return report(options, cellOf);
}

function report(
  options: ReceiverLatencyOptions,
  cellOf: (path: Path, mode: Mode, concurrency: number) => Cell,
): Section {
  const targets: TargetCheck[] = [];
  const notes: string[] = [];
  const tables: Table[] = [];
  // A repeat inside SQS's deduplication window is accepted again (SQS answers it like the first).
  const expected: Record<Mode, string> = { new: "200 accepted", duplicate: "200 accepted" };

  for (const mode of ["new", "duplicate"] as Mode[]) {
    const rows: string[][] = [];
    for (const concurrency of options.concurrencies) {
      const bare = summarize(cellOf("floor", mode, concurrency).latencies);
      const floor = summarize(cellOf("floorHttp", mode, concurrency).latencies);
      for (const path of PATHS[mode]) {
        const cell = cellOf(path, mode, concurrency);
        const stats = summarize(cell.latencies);
        const throughput = cell.elapsedMs > 0 ? (cell.completed / cell.elapsedMs) * 1000 : 0;
        rows.push([
          String(concurrency),
          PATH_LABEL[path],
          String(stats.count),
          fmt.ms(stats.p50),
          fmt.ms(stats.p99),
          fmt.perSecond(throughput),
          path === "floorHttp" ? "1.00×" : fmt.ratio(stats.p50 / floor.p50),
          path === "floorHttp" ? "1.00×" : fmt.ratio(stats.p99 / floor.p99),
          fmt.ratio(stats.p50 / bare.p50),
        ]);
        const unexpected = Object.entries(cell.outcomes).filter(([o]) => o !== expected[mode]);
        if (cell.errors || unexpected.length) {
          notes.push(
            `${PATH_LABEL[path]}, ${mode}, ${concurrency} senders: ${cell.errors} errors` +
              `${cell.firstError ? ` (first: ${cell.firstError})` : ""}` +
              `${unexpected.length ? `, unexpected answers ${JSON.stringify(Object.fromEntries(unexpected))}` : ""}.`,
          );
        }
        if (path === "receiver") {
          const r = stats.p50 / floor.p50;
          targets.push({
            target: `receiver p50 ≤ ${TARGET_RATIO_P50}× floor, ${mode === "new" ? "new" : "repeat"}, ${concurrency} sender(s)`,
            measured: `${fmt.ratio(r)} (${fmt.ms(stats.p50)} vs ${fmt.ms(floor.p50)} ms)`,
            met: r <= TARGET_RATIO_P50,
          });
          if (concurrency === 1 && mode === "new") {
            targets.push({
              target: `receiver warm p50 ≤ ${TARGET_P50_MS} ms and p99 ≤ ${TARGET_P99_MS} ms (target 1; local emulators)`,
              measured: `p50 ${fmt.ms(stats.p50)} ms, p99 ${fmt.ms(stats.p99)} ms`,
              met: stats.p50 <= TARGET_P50_MS && stats.p99 <= TARGET_P99_MS,
            });
          }
        }
      }
    }
    tables.push({
      title:
        mode === "new"
          ? "New deliveries (distinct bodies): latency in ms, throughput in requests/s"
          : "Duplicate deliveries (one body repeated): latency in ms, throughput in requests/s",
      headers: [
        "senders",
        "path",
        "n",
        "p50",
        "p99",
        "req/s",
        "p50 / floor",
        "p99 / floor",
        "p50 / bare call",
      ],
      rows,
      align: ["right", "left", "right", "right", "right", "right", "right", "right", "right"],
    });
  }

  notes.unshift(
    "The receiver's path is one AWS call, new or repeat: SendMessage to the FIFO jobs queue with " +
      "MessageDeduplicationId = the message key and MessageGroupId = the contact. The floor is that call behind " +
      "the same HTTP API stand-in; what the receiver adds is the signature check, parsing, the key and the log line. " +
      "A repeat is the same call (fauxqs, like SQS, answers it like the first), so both modes have one floor.",
    "With more than one sender the vendor's client (a child process) competes for the same 2 CPUs as the receiver " +
      "and fauxqs; the floor behind the HTTP stand-in is under the same client load, the bare call is not.",
    "At 64 senders every path is bound by fauxqs on 2 cores (throughput flat, latency = queueing), " +
      "so the ratios there say little about the receiver; unlike Lambda, the local receiver also serves all 64 requests in one process.",
  );

  return {
    title: "1. Receiver latency and throughput",
    method:
      `Closed loop: N senders each POST a signed vendor-shaped webhook and wait for the answer ` +
      `(${options.rounds} rounds per cell, each bounded by ${options.maxRequests} requests or ` +
      `${options.maxMs / 1000} s, after a warm-up). The senders run in a child process, as the ` +
      "vendor is another machine. Receiver = the real handler behind local/httpApiAdapter.ts " +
      "(payload 2.0 events), against fauxqs. Floor = the one call the receiver needs (SendMessage " +
      "of a job-sized body to the FIFO jobs queue, deduplication id and group set) behind the same " +
      "HTTP API stand-in and route; “bare call” is that SendMessage in-process with the same SDK " +
      "client. All on 127.0.0.1.",
    tables,
    targets,
    notes,
  };
}
