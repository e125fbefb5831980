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
 * Benchmark 1: the receiver's latency and throughput for new deliveries through the local HTTP
 * endpoint, next to the floor its dependencies set, measured in the same run: the idempotency
 * claim (a conditional PutItem of the receiver's item shape) and one SendMessage of a job-sized
 * body, issued bare with the same SDK clients in the same process.
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
const keyOf = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

function receiverFloor(
  awsEnv: Record<string, string>,
  tableName: string,
  queueUrl: string,
  jobBody: string,
) {
  // The stand-ins' endpoints, never the ambient AWS environment.
  const documents = createDocumentClient(awsEnv);
  const sqs = createSqsClient(awsEnv);
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
    });
  return {
    receive: async (key: string) => {
      await documents.send(claim(key, Date.now()));
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: jobBody }));
      return "200 accepted";
    },
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
  const floor = receiverFloor(
    options.services.awsEnv,
    tables.idempotency,
    queues.jobs,
    JSON.stringify(job),
  );
  const runs = { floor: new Map<number, ClosedLoopResult[]>(), receiver: new Map() };
  let tag = 0;
  type Bounds = { concurrency: number; maxRequests: number; maxMs: number };
  const measure = (path: "floor" | "receiver", bounds: Bounds) => {
    const runTag = `${path}-${++tag}-${Date.now()}`;
    if (path === "floor")
      return runClosedLoop(bounds, (i) => floor.receive(keyOf(`${runTag}-${i}`)));
    const { signingSecret: secret, signatureScheme: scheme } = stack;
    return client.run({
      url: stack.receiverUrl,
      runTag,
      secret,
      scheme,
      ...bounds,
    });
  };
  try {
    // Warm-up: JIT, connection pools, the secret cache, DynamoDB Local's own warm-up.
    const warmUp = { concurrency: 8, maxRequests: options.warmupRequests, maxMs: 5000 };
    for (const path of ["floor", "receiver"] as const) await measure(path, warmUp);
    for (const concurrency of options.concurrencies) {
      for (let round = 0; round < options.rounds; round++) {
        for (const path of round % 2
          ? (["receiver", "floor"] as const)
          : (["floor", "receiver"] as const)) {
          const result = await measure(path, { ...options, concurrency });
          runs[path].set(concurrency, [...(runs[path].get(concurrency) ?? []), result]);
        }
      }
    }
  } finally {
    await client.stop();
    floor.destroy();
    await stack.stop();
  }
  const targets: TargetCheck[] = [];
  const notes = [
    `${options.rounds} rounds per cell, each ≤ ${options.maxRequests} requests or ` +
      `${options.maxMs / 1000} s, after a warm-up of ${options.warmupRequests}.`,
  ];
  const rows = options.concurrencies.flatMap((concurrency) => {
    const stats = (path: "floor" | "receiver") => {
      const results: ClosedLoopResult[] = runs[path].get(concurrency) ?? [];
      const errors = results.reduce((sum, r) => sum + r.errors, 0);
      const odd = results.flatMap((r) =>
        Object.keys(r.outcomes).filter((o) => o !== "200 accepted"),
      );
      if (errors || odd.length) {
        const first = results.find((r) => r.firstError)?.firstError ?? "";
        notes.push(`${path}, ${concurrency} senders: ${errors} errors ${first}; answers ${odd}`);
      }
      const seconds = results.reduce((sum, r) => sum + r.elapsedMs, 0) / 1000;
      const summary = summarize(results.flatMap((r) => r.latenciesMs));
      return { ...summary, perSecond: seconds > 0 ? summary.count / seconds : 0 };
    };
    const [f, r] = [stats("floor"), stats("receiver")];
    const ratio = r.p50 / f.p50;
    targets.push({
      target: `receiver p50 ≤ ${TARGET.ratioP50}× floor, ${concurrency} sender(s)`,
      measured: `${fmt.ratio(ratio)} (${fmt.ms(r.p50)} vs ${fmt.ms(f.p50)} ms)`,
      met: ratio <= TARGET.ratioP50,
    });
    if (concurrency === 1) {
      targets.push({
        target: `receiver warm p50 ≤ ${TARGET.p50Ms} ms, p99 ≤ ${TARGET.p99Ms} ms (local emulators)`,
        measured: `p50 ${fmt.ms(r.p50)} ms, p99 ${fmt.ms(r.p99)} ms`,
        met: r.p50 <= TARGET.p50Ms && r.p99 <= TARGET.p99Ms,
      });
    }
    return [
      ["floor: put + send, in-process", f],
      ["receiver: HTTP → handler", r],
    ].map(([label, s]) => {
      const { count, p50, p99, perSecond } = s as typeof r;
      const cells = [fmt.ms(p50), fmt.ms(p99), fmt.perSecond(perSecond), fmt.ratio(p50 / f.p50)];
      return [
        String(concurrency),
        label as string,
        String(count),
        ...cells,
        fmt.ratio(p99 / f.p99),
      ];
    });
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
