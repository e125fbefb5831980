import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from "node:http";

/**
 * A loopback HTTP proxy in front of an AWS-protocol service (X-Amz-Target JSON APIs: DynamoDB,
 * SQS JSON, Secrets Manager) that counts calls per operation. DynamoDB Local is a JVM with no
 * call counters, so the benchmark puts this between the handlers and it. With
 * `measureCapacity`, it also asks DynamoDB for ConsumedCapacity on every data call
 * (ReturnConsumedCapacity: INDEXES, which DynamoDB Local computes like DynamoDB) and adds it up,
 * so read and write units per webhook — and the share spent on secondary indexes — are measured
 * rather than guessed. It also records which resource (table, index, queue, secret) each call
 * addresses, for the IAM-by-use test (test/infra/iamByUse.test.ts). Hand-written: a counting
 * proxy is a few lines over node:http, and nothing on npm counts AWS operations.
 */

export interface OperationTally {
  calls: number;
  /** Calls answered with an error status (e.g. ConditionalCheckFailedException). */
  failed: number;
  /** Failed calls that were conditional-check failures (still billed as writes by DynamoDB). */
  conditionalCheckFailed: number;
  /** Sum of ConsumedCapacity.CapacityUnits reported on successful calls (table + indexes). */
  capacityUnits: number;
  /** The part of capacityUnits spent on secondary indexes. */
  indexCapacityUnits: number;
  /** Request body bytes. */
  requestBytes: number;
  /** Items the calls address: one per call, the entries of a batch or transaction. */
  items: number;
  /**
   * Calls per resource addressed (a table, table/index/<name>, a queue URL or a secret id), so a
   * test can hold each call against the IAM policy on that resource.
   */
  resources: Record<string, number>;
}

export interface CountingProxy {
  /** http://127.0.0.1:<port>, to use as the SDK endpoint. */
  endpoint: string;
  /** Tallies per operation (e.g. "PutItem") since the last reset. */
  tallies(): Map<string, OperationTally>;
  reset(): void;
  stop(): Promise<void>;
}

/** DynamoDB operations that accept ReturnConsumedCapacity. */
const CAPACITY_OPERATIONS = new Set([
  "GetItem",
  "PutItem",
  "UpdateItem",
  "DeleteItem",
  "Query",
  "Scan",
  "BatchGetItem",
  "BatchWriteItem",
  "TransactGetItems",
  "TransactWriteItems",
]);

function operationOf(req: IncomingMessage): string {
  const target = req.headers["x-amz-target"];
  return typeof target === "string" ? (target.split(".").pop() ?? target) : "other";
}

function withCapacityRequested(body: Buffer): Buffer {
  try {
    const input = JSON.parse(body.toString("utf8")) as Record<string, unknown>;
    if (input.ReturnConsumedCapacity !== undefined && input.ReturnConsumedCapacity !== "NONE") {
      return body;
    }
    return Buffer.from(JSON.stringify({ ...input, ReturnConsumedCapacity: "INDEXES" }), "utf8");
  } catch {
    return body;
  }
}

/** Entries of a batch or transaction request (1 for single-item calls). */
export function itemCount(operation: string, body: Buffer): number {
  if (!/^(Batch|Transact)/.test(operation)) return 1;
  try {
    const input = JSON.parse(body.toString("utf8")) as {
      RequestItems?: Record<string, unknown[] | { Keys?: unknown[] }>;
      TransactItems?: unknown[];
    };
    if (input.TransactItems) return input.TransactItems.length;
    return Object.values(input.RequestItems ?? {}).reduce<number>(
      (sum, entries) =>
        sum + (Array.isArray(entries) ? entries.length : (entries.Keys?.length ?? 0)),
      0,
    );
  } catch {
    return 1;
  }
}

/** The resources one request addresses, by the AWS JSON protocols' own field names. */
export function resourcesOf(body: Buffer): string[] {
  let input: {
    TableName?: string;
    IndexName?: string;
    RequestItems?: Record<string, unknown>;
    TransactItems?: Record<string, { TableName?: string }>[];
    QueueUrl?: string;
    SecretId?: string;
  };
  try {
    input = JSON.parse(body.toString("utf8"));
  } catch {
    return [];
  }
  const found = new Set<string>();
  if (input.TableName) {
    found.add(input.IndexName ? `${input.TableName}/index/${input.IndexName}` : input.TableName);
  }
  for (const table of Object.keys(input.RequestItems ?? {})) found.add(table);
  for (const item of input.TransactItems ?? []) {
    for (const entry of Object.values(item)) if (entry?.TableName) found.add(entry.TableName);
  }
  if (input.QueueUrl) found.add(input.QueueUrl);
  if (input.SecretId) found.add(input.SecretId);
  return [...found];
}

interface ConsumedCapacity {
  CapacityUnits?: number;
  GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
  LocalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
}

/**
 * Capacity units in a response body, in total and on secondary indexes. ConsumedCapacity is an
 * object, or a list for batches and transactions.
 */
export function capacityOf(responseBody: string): { total: number; indexes: number } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(responseBody);
  } catch {
    return { total: 0, indexes: 0 };
  }
  const consumed = (parsed as { ConsumedCapacity?: unknown } | null)?.ConsumedCapacity;
  const entries = (
    Array.isArray(consumed) ? consumed : consumed ? [consumed] : []
  ) as ConsumedCapacity[];
  let total = 0;
  let indexes = 0;
  for (const entry of entries) {
    total += Number(entry.CapacityUnits ?? 0);
    for (const index of [
      ...Object.values(entry.GlobalSecondaryIndexes ?? {}),
      ...Object.values(entry.LocalSecondaryIndexes ?? {}),
    ]) {
      indexes += Number(index.CapacityUnits ?? 0);
    }
  }
  return { total, indexes };
}

export async function startCountingProxy(options: {
  /** The real service, e.g. http://127.0.0.1:8000. */
  target: string;
  measureCapacity?: boolean;
}): Promise<CountingProxy> {
  const target = new URL(options.target);
  const agent = new Agent({ keepAlive: true, maxSockets: 128 });
  const tallies = new Map<string, OperationTally>();

  const tallyFor = (operation: string): OperationTally => {
    let tally = tallies.get(operation);
    if (!tally) {
      tally = {
        calls: 0,
        failed: 0,
        conditionalCheckFailed: 0,
        capacityUnits: 0,
        indexCapacityUnits: 0,
        requestBytes: 0,
        items: 0,
        resources: {},
      };
      tallies.set(operation, tally);
    }
    return tally;
  };

  const forward = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const operation = operationOf(req);
    const measure = options.measureCapacity === true && CAPACITY_OPERATIONS.has(operation);
    const original = Buffer.concat(chunks);
    const body = measure ? withCapacityRequested(original) : original;
    const tally = tallyFor(operation);
    tally.calls += 1;
    tally.requestBytes += original.length;
    tally.items += itemCount(operation, original);
    for (const resource of resourcesOf(original)) {
      tally.resources[resource] = (tally.resources[resource] ?? 0) + 1;
    }

    const headers = { ...req.headers, host: target.host, "content-length": String(body.length) };
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        path: req.url,
        method: req.method,
        headers,
        agent,
      },
      (answer) => {
        const parts: Buffer[] = [];
        answer.on("data", (part: Buffer) => parts.push(part));
        answer.on("end", () => {
          const payload = Buffer.concat(parts);
          const status = answer.statusCode ?? 502;
          if (status >= 400) {
            tally.failed += 1;
            if (payload.includes("ConditionalCheckFailed")) tally.conditionalCheckFailed += 1;
          } else if (measure) {
            const capacity = capacityOf(payload.toString("utf8"));
            tally.capacityUnits += capacity.total;
            tally.indexCapacityUnits += capacity.indexes;
          }
          res.writeHead(status, answer.headers);
          res.end(payload);
        });
        answer.on("error", () => res.destroy());
      },
    );
    upstream.on("error", () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    upstream.end(body);
  };

  const server = createServer((req, res) => {
    forward(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    tallies: () =>
      new Map(
        [...tallies].map(([operation, t]) => [operation, { ...t, resources: { ...t.resources } }]),
      ),
    reset: () => tallies.clear(),
    stop: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
