import { createServer } from "node:http";

/**
 * A loopback proxy that counts the AWS calls the handlers make, for the benchmarks (calls and
 * capacity per webhook) and the IAM-by-use test (which call on which resource). It plugs into the
 * local stack through `wrapEndpoint`, beside the fault proxy of the reliability tests.
 */

export interface OperationTally {
  calls: number;
  /** Conditional-check failures (DynamoDB still bills them as writes). */
  conditionalCheckFailed: number;
  /** ConsumedCapacity.CapacityUnits of successful calls (table + indexes). */
  capacityUnits: number;
  /** The part of capacityUnits spent on secondary indexes. */
  indexCapacityUnits: number;
  /**
   * Calls per resource addressed (a table, table/index/<name>, a queue URL or a secret id), so a
   * test can hold each call against the IAM policy on that resource (test/infra/iamByUse.test.ts).
   */
  resources: Record<string, number>;
}

/** The resources one request addresses, by the AWS JSON protocols' own field names. */
export function resourcesOf(body: string): string[] {
  let input: {
    TableName?: string;
    IndexName?: string;
    RequestItems?: Record<string, unknown>;
    TransactItems?: Record<string, { TableName?: string }>[];
    QueueUrl?: string;
    SecretId?: string;
  };
  try {
    input = JSON.parse(body);
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

/** `endpoint` for the handlers' SDK; `tallies()` per operation (e.g. "PutItem") since `reset()`. */
/**
 * A REST-JSON call (EventBridge Scheduler: @aws-sdk/client-scheduler's model names each operation
 * by method and path) as its operation and the resources it addresses: a schedule as
 * `<group>/<name>`, a group by its name. Undefined for a path that is no Scheduler operation.
 */
export function restCallOf(
  method: string,
  url: string,
  body: string,
): { operation: string; resources: string[] } | undefined {
  const parsed = new URL(url, "http://localhost");
  const parts = parsed.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  if (parts[0] === "schedules" && parts.length === 2) {
    const operation = { POST: "CreateSchedule", GET: "GetSchedule", DELETE: "DeleteSchedule" }[
      method
    ];
    if (!operation) return undefined;
    let group = parsed.searchParams.get("groupName");
    if (method === "POST") {
      try {
        group = (JSON.parse(body) as { GroupName?: string }).GroupName ?? null;
      } catch {
        group = null;
      }
    }
    return { operation, resources: [`${group ?? "default"}/${parts[1]}`] };
  }
  if (parts[0] === "schedules" && parts.length === 1 && method === "GET") {
    return {
      operation: "ListSchedules",
      resources: [parsed.searchParams.get("ScheduleGroup") ?? "default"],
    };
  }
  if (parts[0] === "schedule-groups" && parts.length === 2) {
    const operation = { POST: "CreateScheduleGroup", GET: "GetScheduleGroup" }[method];
    return operation ? { operation, resources: [parts[1] as string] } : undefined;
  }
  return undefined;
}

export type CountingProxy = Awaited<ReturnType<typeof startCountingProxy>>;

type Units = { CapacityUnits?: number };
type Consumed = Units &
  Partial<Record<`${"Global" | "Local"}SecondaryIndexes`, Record<string, Units>>>;

/** Capacity units in an answer (an object, or a list for batches), in total and on indexes. */
export function capacityOf(responseBody: string): { total: number; indexes: number } {
  let consumed: unknown;
  try {
    consumed = JSON.parse(responseBody)?.ConsumedCapacity;
  } catch {
    return { total: 0, indexes: 0 };
  }
  const entries = (Array.isArray(consumed) ? consumed : consumed ? [consumed] : []) as Consumed[];
  const units = (list: Units[]) => list.reduce((sum, u) => sum + Number(u.CapacityUnits ?? 0), 0);
  return {
    total: units(entries),
    indexes: units(
      entries.flatMap((e) => [
        ...Object.values(e.GlobalSecondaryIndexes ?? {}),
        ...Object.values(e.LocalSecondaryIndexes ?? {}),
      ]),
    ),
  };
}

const CAPACITY_OPERATIONS = /^(Get|Put|Update|Delete)Item$|^(Query|Scan)$|^(Batch|Transact)/;
const HOP_HEADERS = new Set(["host", "connection", "content-length", "transfer-encoding"]);

/**
 * A loopback proxy in front of DynamoDB Local (a JVM with no call counters), or any AWS JSON-protocol
 * stand-in (SQS, Secrets Manager; EventBridge Scheduler's REST-JSON too), that counts calls per operation and resource, and asks DynamoDB
 * for ReturnConsumedCapacity INDEXES on every data call (DynamoDB Local computes it as DynamoDB does), so read and write units per webhook are measured, not guessed.
 * Hand-written: a few lines over node:http, and nothing on npm counts AWS operations.
 */
export async function startCountingProxy(target: string) {
  const tallies = new Map<string, OperationTally>();
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body = Buffer.concat(chunks).toString("utf8");
    const amzTarget = req.headers["x-amz-target"];
    const rest = amzTarget ? undefined : restCallOf(req.method ?? "GET", req.url ?? "/", body);
    const operation = rest?.operation ?? String(amzTarget).split(".").pop() ?? "other";
    const measure = CAPACITY_OPERATIONS.test(operation);
    if (measure && !body.includes('"ReturnConsumedCapacity"')) {
      body = JSON.stringify({ ...JSON.parse(body), ReturnConsumedCapacity: "INDEXES" });
    }
    const tally = tallies.get(operation) ?? {
      calls: 0,
      conditionalCheckFailed: 0,
      capacityUnits: 0,
      indexCapacityUnits: 0,
      resources: {},
    };
    tallies.set(operation, tally);
    tally.calls += 1;
    for (const resource of rest?.resources ?? resourcesOf(body)) {
      tally.resources[resource] = (tally.resources[resource] ?? 0) + 1;
    }
    const headers = Object.entries(req.headers).filter(([name]) => !HOP_HEADERS.has(name));
    try {
      const answer = await fetch(`${target}${req.url}`, {
        method: req.method,
        headers: headers as [string, string][],
        // GET and DELETE (REST-JSON) carry no body, and fetch refuses one there.
        ...(req.method === "GET" || req.method === "DELETE" || req.method === "HEAD"
          ? {}
          : { body }),
      });
      const payload = await answer.text();
      if (!answer.ok && payload.includes("ConditionalCheckFailed"))
        tally.conditionalCheckFailed += 1;
      if (answer.ok && measure) {
        const capacity = capacityOf(payload);
        tally.capacityUnits += capacity.total;
        tally.indexCapacityUnits += capacity.indexes;
      }
      const errorType = answer.headers.get("x-amzn-errortype");
      res.writeHead(answer.status, {
        "content-type": answer.headers.get("content-type") ?? "",
        ...(errorType ? { "x-amzn-errortype": errorType } : {}),
      });
      res.end(payload);
    } catch {
      res.writeHead(502).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  return {
    endpoint: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`,
    tallies: () =>
      new Map([...tallies].map(([op, t]) => [op, { ...t, resources: { ...t.resources } }])),
    reset: () => tallies.clear(),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
