import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { buildApp } from "fauxqs";
import "./sqliteWarning.js";

export interface RunningFauxqs {
  endpoint: string;
  /** SQS API calls received, by action name (e.g. "SendMessage"); for call-count benchmarks. */
  calls: Map<string, number>;
  stop(): Promise<void>;
}

type Stores = NonNullable<NonNullable<Parameters<typeof buildApp>[0]>["stores"]>;

interface Persistence {
  load(sqs: unknown, sns: unknown, s3: unknown): void;
  close(): void;
}

/**
 * fauxqs's stores, loaded from (and written through to) a SQLite file in `dataDir`: queues with
 * their attributes and messages (ready, delayed, in flight with their deadlines) survive a restart.
 *
 * fauxqs 2.x offers this only through its `startFauxqs`, which listens on 0.0.0.0 (hard-coded),
 * and the local stack binds 127.0.0.1 only. `buildApp` (exported) takes the stores; the stores and
 * the PersistenceManager are not exported, so they are imported from fauxqs's own dist files, and
 * wired the way startFauxqs wires them (load first, then attach, so loading writes nothing back).
 * The package is pinned exactly (package.json); test/local/persistence.test.ts proves a restart
 * keeps a scheduled reply, and would fail on a release that moves these files.
 */
async function persistentStores(dataDir: string): Promise<{ stores: Stores; close(): void }> {
  // The node_modules directories Node searches for "fauxqs" from here (its exports map hides the
  // files themselves from require.resolve and import).
  const lookup = createRequire(import.meta.url).resolve.paths("fauxqs") ?? [];
  const root = lookup
    .map((dir) => join(dir, "fauxqs"))
    .find((dir) => existsSync(join(dir, "dist", "app.js")));
  if (!root) throw new Error("fauxqs is not installed (npm ci)");
  const base = pathToFileURL(join(root, "dist", "app.js"));
  const load = async <T>(path: string, name: string) =>
    ((await import(new URL(path, base).href)) as Record<string, T>)[name] as T;
  const SqsStore = await load<new () => Stores["sqsStore"]>("./sqs/sqsStore.js", "SqsStore");
  const SnsStore = await load<new () => Stores["snsStore"]>("./sns/snsStore.js", "SnsStore");
  const S3Store = await load<new () => Stores["s3Store"]>("./s3/s3Store.js", "S3Store");
  const PersistenceManager = await load<new (dir: string) => Persistence>(
    "./persistence.js",
    "PersistenceManager",
  );
  const stores: Stores = {
    sqsStore: new SqsStore(),
    snsStore: new SnsStore(),
    s3Store: new S3Store(),
  };
  const persistence = new PersistenceManager(dataDir);
  persistence.load(stores.sqsStore, stores.snsStore, stores.s3Store);
  const attach = (store: object) => Object.assign(store, { persistence });
  attach(stores.sqsStore);
  attach(stores.snsStore);
  attach(stores.s3Store);
  for (const queue of (
    stores.sqsStore as unknown as { allQueues(): Iterable<object> }
  ).allQueues()) {
    attach(queue);
  }
  return { stores, close: () => persistence.close() };
}

/**
 * Starts fauxqs in-process on 127.0.0.1 (its startFauxqs helper hard-codes 0.0.0.0). With
 * `dataDir`, the queues and their messages are kept in `dataDir/fauxqs.db` across restarts.
 */
export async function startFauxqs(
  options: { port?: number; dataDir?: string } = {},
): Promise<RunningFauxqs> {
  // Loaded here, not by a static import: fauxqs loads node:sqlite, and a builtin's experimental
  // warning fires while the static import graph links, before any filter of ours could run.
  const { buildApp } = await import("fauxqs");
  const persistent = options.dataDir ? await persistentStores(options.dataDir) : undefined;
  const app = buildApp({
    logger: false,
    host: "127.0.0.1",
    ...(persistent ? { stores: persistent.stores } : {}),
  });
  if (persistent) app.addHook("preClose", () => persistent.close());
  const calls = new Map<string, number>();
  app.addHook("onRequest", async (request) => {
    const target = request.headers["x-amz-target"];
    const action = typeof target === "string" ? (target.split(".").pop() ?? target) : "other";
    calls.set(action, (calls.get(action) ?? 0) + 1);
  });
  await app.listen({ port: options.port ?? 0, host: "127.0.0.1" });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return { endpoint: `http://127.0.0.1:${port}`, calls, stop: () => app.close() };
}
