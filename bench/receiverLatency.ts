import { createHash } from "node:crypto";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { createDocumentClient, createSqsClient } from "../lambdas/adapters/awsClients.js";
import { DEFAULTS } from "../lambdas/contract.js";
import { parseWebhook } from "../lambdas/core/parseWebhook.js";
import { sampleWebhookBody } from "../local/sampleWebhook.js";
import type { LocalServices } from "../local/services/index.js";
import { startLoadClient } from "./lib/loadClient.js";
import { type ClosedLoopResult, runClosedLoop, summarize } from "./lib/measure.js";
import { fmt, type Section, type TargetCheck } from "./lib/report.js";
import { startBenchStack } from "./lib/stack.js";

/**
 * Benchmark 1: the receiver's latency and throughput through the local HTTP endpoint, next to the
 * floor its dependencies set, measured in the same run: the idempotency claim (a conditional
 * PutItem of the receiver's item shape) and, when won, one SendMessage of a job-sized body, issued
 * bare with the same SDK clients in the same process.
 */

export interface ReceiverLatencyOptions {
  services: LocalServices;
  concurrencies: number[];
  /** Bounds of one cell in one round. */
  maxRequests: number;
  maxMs: number;
  /** Rounds alternate the order of the paths, so drift (JIT, table growth) hits both alike. */
  rounds: number;
  warmupRequests: number;
}

type Path = "floor" | "receiver";
type Mode = "new" | "duplicate";
const LABEL = { floor: "floor: put + send, in-process", receiver: "receiver: HTTP → handler" };
const TARGET = { ratioP50: 1.3, p50Ms: 60, p99Ms: 150 };
const keyOf = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

/** The claim, and the enqueue when it is won; a lost claim is the whole duplicate path. */
function receiverFloor(tableName: string, queueUrl: string, jobBody: string) {
  const documents = createDocumentClient();
  const sqs = createSqsClient();
  const claim = (key: string, now: number) =>
    new PutCommand({
      TableName: tableName,
      Item: {
        pk: key,
        status: "IN_PROGRESS",
        token: key.slice(0, 36),
        inProgressUntil: now + DEFAULTS.inProgressTtlSeconds * 1000,
        expiresAt: Math.floor(now / 1000) + DEFAULTS.idempotencyTtlSeconds,
      },
      ConditionExpression:
        "attribute_not_exists(pk) OR (#s = :inProgress AND #lease < :now) OR #exp < :nowSeconds",
      ExpressionAttributeNames: {
        "#s": "status",
        "#lease": "inProgressUntil",
        "#exp": "expiresAt",
      },
      ExpressionAttributeValues: {
        ":inProgress": "IN_PROGRESS",
        ":now": now,
        ":nowSeconds": Math.floor(now / 1000),
      },
      ReturnValuesOnConditionCheckFailure: "ALL_OLD",
    });
  const receive = async (key: string) => {
    try {
      await documents.send(claim(key, Date.now()));
    } catch (error) {
      if ((error as Error).name === "ConditionalCheckFailedException") return "200 duplicate";
      throw error;
    }
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: jobBody }));
    return "200 accepted";
  };
  return {
    receive,
    destroy: () => {
      documents.destroy();
      sqs.destroy();
    },
  };
}

export async function runReceiverLatency(options: ReceiverLatencyOptions): Promise<Section> {
  const stack = await startBenchStack(options.services, "bench-latency-", { workers: "none" });
  const client = await startLoadClient();
  const body = sampleWebhookBody({ phone: "4915112345678", text: "bench sample", at: 0 });
  const webhook = parseWebhook(body);
  const job = { kind: "webhook-job", version: 1, key: keyOf(body), acceptedAt: 0, webhook };
  const { tables, queues } = stack.resources;
  const floor = receiverFloor(tables.idempotency, queues.jobs, JSON.stringify(job));
  const cells = new Map<string, ClosedLoopResult[]>();
  let tag = 0;
  const measure = async (path: Path, mode: Mode, concurrency: number, bounds: Bounds) => {
    const runTag = `${path}-${mode}-${concurrency}-${++tag}-${Date.now()}`;
    const key = (i: number) => keyOf(mode === "duplicate" ? runTag : `${runTag}-${i}`);
    // The first delivery of a repeated body is new: make it before the clock starts.
    if (path === "floor") {
      if (mode === "duplicate") await floor.receive(key(0));
      return runClosedLoop({ concurrency, ...bounds }, (i) => floor.receive(key(i)));
    }
    const base = { url: stack.receiverUrl, runTag, secret: stack.signingSecret };
    const run = { ...base, scheme: stack.signatureScheme, mode: "repeat" as const };
    if (mode === "duplicate")
      await client.run({ ...run, concurrency: 1, maxRequests: 1, maxMs: 5000 });
    return client.run({
      ...run,
      mode: mode === "new" ? "distinct" : "repeat",
      concurrency,
      ...bounds,
    });
  };
  const modes: Mode[] = ["new", "duplicate"];
  try {
    // Warm-up: JIT, connection pools, the secret cache, DynamoDB Local's own warm-up.
    for (const mode of modes) {
      for (const path of ["floor", "receiver"] as const) {
        await measure(path, mode, 8, { maxRequests: options.warmupRequests, maxMs: 5000 });
      }
    }
    for (const concurrency of options.concurrencies) {
      for (let round = 0; round < options.rounds; round++) {
        for (const mode of modes) {
          for (const path of round % 2
            ? (["receiver", "floor"] as const)
            : (["floor", "receiver"] as const)) {
            const id = `${path}/${mode}/${concurrency}`;
            const result = await measure(path, mode, concurrency, options);
            cells.set(id, [...(cells.get(id) ?? []), result]);
          }
        }
      }
    }
  } finally {
    await client.stop();
    floor.destroy();
    await stack.stop();
  }
  return report(options, (path, mode, c) => cells.get(`${path}/${mode}/${c}`) ?? []);
}

type Bounds = { maxRequests: number; maxMs: number };
type Cells = (path: Path, mode: Mode, concurrency: number) => ClosedLoopResult[];

function report(options: ReceiverLatencyOptions, cellOf: Cells): Section {
  const targets: TargetCheck[] = [];
  const notes: string[] = [];
  const table = (mode: Mode) =>
    options.concurrencies.flatMap((concurrency) => {
      const floor = summarize(cellOf("floor", mode, concurrency).flatMap((r) => r.latenciesMs));
      return (["floor", "receiver"] as const).map((path) => {
        const runs = cellOf(path, mode, concurrency);
        const stats = summarize(runs.flatMap((r) => r.latenciesMs));
        const seconds = runs.reduce((sum, r) => sum + r.elapsedMs, 0) / 1000;
        const errors = runs.reduce((sum, r) => sum + r.errors, 0);
        const expected = mode === "new" ? "200 accepted" : "200 duplicate";
        const odd = runs.flatMap((r) => Object.keys(r.outcomes).filter((o) => o !== expected));
        if (errors || odd.length) {
          const first = runs.find((r) => r.firstError)?.firstError ?? "";
          notes.push(`${path}, ${mode}, ${concurrency} senders: ${errors} errors ${first}; ${odd}`);
        }
        const ratio = stats.p50 / floor.p50;
        if (path === "receiver" && mode === "new") {
          targets.push({
            target: `receiver p50 ≤ ${TARGET.ratioP50}× floor, ${concurrency} sender(s)`,
            measured: `${fmt.ratio(ratio)} (${fmt.ms(stats.p50)} vs ${fmt.ms(floor.p50)} ms)`,
            met: ratio <= TARGET.ratioP50,
          });
        }
        if (path === "receiver" && mode === "new" && concurrency === 1) {
          targets.push({
            target: `receiver warm p50 ≤ ${TARGET.p50Ms} ms, p99 ≤ ${TARGET.p99Ms} ms (local emulators)`,
            measured: `p50 ${fmt.ms(stats.p50)} ms, p99 ${fmt.ms(stats.p99)} ms`,
            met: stats.p50 <= TARGET.p50Ms && stats.p99 <= TARGET.p99Ms,
          });
        }
        const throughput = seconds > 0 ? stats.count / seconds : 0;
        return [String(concurrency), LABEL[path], String(stats.count), fmt.ms(stats.p50)]
          .concat(fmt.ms(stats.p99), fmt.perSecond(throughput), fmt.ratio(ratio))
          .concat(fmt.ratio(stats.p99 / floor.p99));
      });
    });
  const headers = ["senders", "path", "n", "p50", "p99", "req/s", "p50 / floor", "p99 / floor"];
  const align = headers.map((_, c) => (c === 1 ? "left" : "right") as "left" | "right");
  return {
    title: "1. Receiver latency and throughput",
    method:
      `Closed loop, ${options.rounds} rounds per cell of ≤ ${options.maxRequests} requests or ` +
      `${options.maxMs / 1000} s, after a warm-up. See docs/benchmarks.md, “Method”.`,
    tables: [
      {
        title: "New deliveries: latency in ms, throughput in requests/s",
        headers,
        align,
        rows: table("new"),
      },
      { title: "Duplicate deliveries: latency in ms", headers, align, rows: table("duplicate") },
    ],
    targets,
    notes,
  };
}
