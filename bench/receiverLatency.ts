import { createDocumentClient, createSqsClient } from "../lambdas/adapters/awsClients.js";
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

type Path = "floor" | "floorCalls" | "floorHttp" | "receiver";
type Mode = "new" | "duplicate";

/** On a duplicate the receiver makes one call, the failing claim: the floor itself. */
const PATHS: Record<Mode, Path[]> = {
  new: ["floor", "floorCalls", "floorHttp", "receiver"],
  duplicate: ["floor", "floorHttp", "receiver"],
};

const PATH_LABEL: Record<Path, string> = {
  floor: "floor: put + send, in-process",
  floorCalls: "receiver's calls bare: put + send + update",
  floorHttp: "floor behind a bare HTTP server",
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
  const documents = createDocumentClient(options.services.awsEnv);
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
    documents,
    sqs,
    stack.resources.tables.idempotency,
    stack.resources.queues.jobs,
    JSON.stringify(job),
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
    if (path === "floor" || path === "floorCalls") {
      const markQueued = path === "floorCalls";
      if (mode === "duplicate") await floor.receive(floorKey(runTag));
      return runClosedLoop({ concurrency, ...bounds }, async (index) => {
        const key = floorKey(mode === "duplicate" ? runTag : `${runTag}-${index}`);
        return `200 ${await floor.receive(key, { markQueued })}`;
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
    documents.destroy();
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
  const expected: Record<Mode, string> = { new: "200 accepted", duplicate: "200 duplicate" };

  for (const mode of ["new", "duplicate"] as Mode[]) {
    const rows: string[][] = [];
    for (const concurrency of options.concurrencies) {
      const floor = summarize(cellOf("floor", mode, concurrency).latencies);
      const httpFloor = summarize(cellOf("floorHttp", mode, concurrency).latencies);
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
          path === "floor" ? "1.00×" : fmt.ratio(stats.p50 / floor.p50),
          path === "floor" ? "1.00×" : fmt.ratio(stats.p99 / floor.p99),
          path === "receiver" ? fmt.ratio(stats.p50 / httpFloor.p50) : "",
        ]);
        const unexpected = Object.entries(cell.outcomes).filter(([o]) => o !== expected[mode]);
        if (cell.errors || unexpected.length) {
          notes.push(
            `${PATH_LABEL[path]}, ${mode}, ${concurrency} senders: ${cell.errors} errors` +
              `${cell.firstError ? ` (first: ${cell.firstError})` : ""}` +
              `${unexpected.length ? `, unexpected answers ${JSON.stringify(Object.fromEntries(unexpected))}` : ""}.`,
          );
        }
        if (path === "receiver" && mode === "new") {
          const r = stats.p50 / floor.p50;
          targets.push({
            target: `receiver p50 ≤ ${TARGET_RATIO_P50}× floor, ${concurrency} sender(s)`,
            measured: `${fmt.ratio(r)} (${fmt.ms(stats.p50)} vs ${fmt.ms(floor.p50)} ms)`,
            met: r <= TARGET_RATIO_P50,
          });
          if (concurrency === 1) {
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
        "p50 / HTTP floor",
      ],
      rows,
      align: ["right", "left", "right", "right", "right", "right", "right", "right", "right"],
    });
  }

  const ownCalls = options.concurrencies.map((c) => {
    const receiver = summarize(cellOf("receiver", "new", c).latencies).p50;
    const calls = summarize(cellOf("floorCalls", "new", c).latencies).p50;
    const floor = summarize(cellOf("floor", "new", c).latencies).p50;
    return `${c}: receiver ÷ its own three calls ${fmt.ratio(receiver / calls)}, three calls ÷ floor ${fmt.ratio(calls / floor)}`;
  });
  notes.unshift(
    "Why a new delivery costs more than the floor: the receiver makes a third sequential round trip after the " +
      "claim and the send — the UpdateItem that marks the claim QUEUED — so that a crash between claim and enqueue leaves a " +
      "lease that a retry can take over, never a claim that answers “duplicate” for a job that was never queued. " +
      `p50 per sender count: ${ownCalls.join("; ")}. What is left after the calls is the HTTP API stand-in, signature check, ` +
      "parsing and the log line. On a duplicate the receiver makes only the failing claim.",
    "With more than one sender the vendor's client (a child process) competes for the same 2 CPUs as the receiver, " +
      "DynamoDB Local and fauxqs, while the in-process floor has no HTTP client at all; “p50 / HTTP floor” compares the " +
      "receiver with the floor under the same client load.",
    "At 64 senders every path is bound by DynamoDB Local and fauxqs on 2 cores (throughput flat, latency = queueing), " +
      "so the ratios there say little about the receiver; unlike Lambda, the local receiver also serves all 64 requests in one process.",
  );

  return {
    title: "1. Receiver latency and throughput",
    method:
      `Closed loop: N senders each POST a signed vendor-shaped webhook and wait for the answer ` +
      `(${options.rounds} rounds per cell, each bounded by ${options.maxRequests} requests or ` +
      `${options.maxMs / 1000} s, after a warm-up). The senders run in a child process, as the ` +
      "vendor is another machine. Receiver = the real handler behind local/httpApiAdapter.ts " +
      "(payload 2.0 events), against DynamoDB Local and fauxqs. Floor = the conditional PutItem " +
      "(+ SendMessage when new) the receiver needs, issued with the same SDK clients in the " +
      "receiver's process; “floor behind bare HTTP” adds only a node:http hop. On a duplicate the " +
      "floor is the failing conditional PutItem alone. All on 127.0.0.1.",
    tables,
    targets,
    notes,
  };
}
