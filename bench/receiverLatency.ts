import { createHash } from "node:crypto";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { createSqsClient } from "../lambdas/adapters/awsClients.js";
import { FUNCTIONS, WEBHOOK_ROUTE } from "../lambdas/contract.js";
import { parseWebhook } from "../lambdas/core/parseWebhook.js";
import { startHttpApiAdapter } from "../local/httpApiAdapter.js";
import { sampleWebhookBody } from "../local/sampleWebhook.js";
import type { LocalServices } from "../local/services/index.js";
import { startLoadClient } from "./lib/loadClient.js";
import { type ClosedLoopResult, summarize } from "./lib/measure.js";
import { fmt, type Section, type TargetCheck } from "./lib/report.js";
import { startBenchStack } from "./lib/stack.js";

/**
 * Benchmark 1: the receiver's latency and throughput for new deliveries through the local HTTP
 * endpoint, next to the floor its dependencies set, measured in the same run: the one call the
 * receiver cannot avoid (SendMessage of a job-sized body to the FIFO jobs queue, deduplication id
 * and group set), issued with the same SDK client behind the same HTTP stand-in of the entrance (function URL events).
 */

export interface ReceiverLatencyOptions {
  services: LocalServices;
  concurrencies: number[];
  /** Bounds of one cell in one round; rounds alternate the order of the paths (drift hits both). */
  maxRequests: number;
  maxMs: number;
  rounds: number;
  warmupRequests: number;
}

const TARGET = { ratioP50: 1.3, p50Ms: 60, p99Ms: 150 };
const FLOOR_LABEL = "floor: FIFO SendMessage behind the HTTP stand-in";
type Path = "floor" | "receiver";
const keyOf = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

/** The floor behind the HTTP stand-in: each request's body keyed, one FIFO SendMessage. */
async function startReceiverFloor(
  awsEnv: Record<string, string>,
  queueUrl: string,
  jobBody: string,
  groupId: string,
) {
  // The stand-ins' endpoints, never the ambient AWS environment.
  const sqs = createSqsClient(awsEnv);
  const api = await startHttpApiAdapter({
    routes: [
      {
        ...WEBHOOK_ROUTE,
        functionName: FUNCTIONS.receiver,
        handler: async (event) => {
          const body = Buffer.from(event.body ?? "", event.isBase64Encoded ? "base64" : "utf8");
          await sqs.send(
            new SendMessageCommand({
              QueueUrl: queueUrl,
              MessageBody: jobBody,
              MessageDeduplicationId: keyOf(body.toString("utf8")),
              MessageGroupId: groupId,
            }),
          );
          return { statusCode: 200, body: JSON.stringify({ status: "accepted" }) };
        },
      },
    ],
  });
  return {
    url: `${api.url}${WEBHOOK_ROUTE.path}`,
    stop: async () => {
      await api.stop();
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
  const floor = await startReceiverFloor(
    options.services.awsEnv,
    stack.resources.queues.jobs,
    JSON.stringify(job),
    webhook.phone,
  );
  const runs = { floor: new Map<number, ClosedLoopResult[]>(), receiver: new Map() };
  let tag = 0;
  type Bounds = { concurrency: number; maxRequests: number; maxMs: number };
  const measure = (path: Path, bounds: Bounds) =>
    client.run({
      url: path === "floor" ? floor.url : stack.receiverUrl,
      runTag: `${path}-${++tag}-${Date.now()}`,
      secret: stack.signingSecret,
      scheme: stack.signatureScheme,
      ...bounds,
    });
  try {
    // Warm-up: JIT, connection pools, the secret cache, DynamoDB Local's own warm-up.
    const warmUp = { concurrency: 8, maxRequests: options.warmupRequests, maxMs: 5000 };
    for (const path of ["floor", "receiver"] as const) await measure(path, warmUp);
    for (const concurrency of options.concurrencies) {
      for (let round = 0; round < options.rounds; round++) {
        for (const path of (round % 2 ? ["receiver", "floor"] : ["floor", "receiver"]) as Path[]) {
          const result = await measure(path, { ...options, concurrency });
          runs[path].set(concurrency, [...(runs[path].get(concurrency) ?? []), result]);
        }
      }
    }
  } finally {
    await client.stop();
    await floor.stop();
    await stack.stop();
  }
  const targets: TargetCheck[] = [];
  const notes = [
    `${options.rounds} rounds per cell, each ≤ ${options.maxRequests} requests or ` +
      `${options.maxMs / 1000} s, after a warm-up of ${options.warmupRequests}.`,
  ];
  const stats = (path: Path, concurrency: number) => {
    const results: ClosedLoopResult[] = runs[path].get(concurrency) ?? [];
    const errors = results.reduce((sum, r) => sum + r.errors, 0);
    const odd = results.flatMap((r) => Object.keys(r.outcomes).filter((o) => o !== "200 accepted"));
    if (errors || odd.length) {
      const first = results.find((r) => r.firstError)?.firstError ?? "";
      notes.push(`${path}, ${concurrency} senders: ${errors} errors ${first}; answers ${odd}`);
    }
    const seconds = results.reduce((sum, r) => sum + r.elapsedMs, 0) / 1000;
    const summary = summarize(results.flatMap((r) => r.latenciesMs));
    return { ...summary, perSecond: seconds > 0 ? summary.count / seconds : 0 };
  };
  const rows = options.concurrencies.flatMap((concurrency) => {
    const [f, r] = [stats("floor", concurrency), stats("receiver", concurrency)];
    targets.push({
      target: `receiver p50 ≤ ${TARGET.ratioP50}× floor, ${concurrency} sender(s)`,
      measured: `${fmt.ratio(r.p50 / f.p50)} (${fmt.ms(r.p50)} vs ${fmt.ms(f.p50)} ms)`,
      met: r.p50 / f.p50 <= TARGET.ratioP50,
    });
    if (concurrency === 1) {
      targets.push({
        target: `receiver warm p50 ≤ ${TARGET.p50Ms} ms, p99 ≤ ${TARGET.p99Ms} ms (local emulators)`,
        measured: `p50 ${fmt.ms(r.p50)} ms, p99 ${fmt.ms(r.p99)} ms`,
        met: r.p50 <= TARGET.p50Ms && r.p99 <= TARGET.p99Ms,
      });
    }
    return (
      [
        [FLOOR_LABEL, f],
        ["receiver: HTTP → handler", r],
      ] as const
    ).map(([label, s]) => [
      String(concurrency),
      label,
      String(s.count),
      ...[s.p50, s.p99].map(fmt.ms),
      fmt.perSecond(s.perSecond),
      fmt.ratio(s.p50 / f.p50),
      fmt.ratio(s.p99 / f.p99),
    ]);
  });
  const headers = ["senders", "path", "n", "p50", "p99", "req/s", "p50 / floor", "p99 / floor"];
  return {
    title: "1. Receiver latency and throughput",
    tables: [
      {
        title: "New deliveries: latency in ms, throughput in requests/s",
        headers,
        align: headers.map((_, c) => (c === 1 ? "left" : "right")),
        rows,
      },
    ],
    targets,
    notes,
  };
}
