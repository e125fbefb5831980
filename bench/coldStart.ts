import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { bundleOptions, handlerEntry } from "../infra/lambdaBundle.js";
import { FUNCTIONS, type FunctionName } from "../lambdas/contract.js";
import type { LocalServices } from "../local/services/index.js";
import { median } from "./lib/measure.js";
import { fmt, type Section, type TargetCheck } from "./lib/report.js";
import { startBenchStack } from "./lib/stack.js";

/**
 * Benchmark 2: each Lambda bundle as deployed (infra/lambdaBundle.ts bundleOptions), its size and
 * its INIT in a fresh Node process, next to a floor bundle that only builds the same SDK clients.
 * What decided the bundling options is in docs/benchmarks.md, "Decisions".
 */

const TARGETS = {
  initRatio: 1.2,
  sizeBytes: { receiver: 150_000, responder: 250_000, sender: 250_000 } as Record<
    FunctionName,
    number
  >,
  initMs: { receiver: 250, responder: 300, sender: 300 } as Record<FunctionName, number>,
};

/** The SDK clients each handler builds at module scope (lambdas/adapters/awsClients.ts). */
const CLIENTS_OF: Record<FunctionName, string[]> = {
  receiver: ["createDocumentClient", "createSqsClient", "createSecretsManagerClient"],
  responder: ["createDocumentClient", "createSqsClient"],
  sender: ["createDocumentClient", "createSqsClient", "createSecretsManagerClient"],
};
const BENCH_DIR = fileURLToPath(new URL("../dist/bench", import.meta.url));
const run = promisify(execFile);

/** Bundles an entry with the deployed options into dist/bench/ (git-ignored). */
async function bundle(id: string, label: string, fn: FunctionName, entry: string) {
  const [output] = (await build(bundleOptions(entry))).outputFiles;
  if (!output) throw new Error(`esbuild produced no output for ${id}`);
  const file = `${BENCH_DIR}/${id}/index.mjs`;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, output.contents);
  const [bytes, gzipBytes] = [output.contents.byteLength, gzipSync(output.contents).byteLength];
  return { id, label, fn, bytes, gzipBytes, file, initMs: [] as number[] };
}

/**
 * The `import()` of a bundle in a fresh `node`, as Lambda's INIT starts from an empty module cache
 * (config, logger and SDK clients are built at module scope); Node's own start-up is not timed.
 */
async function timeInit(file: string, env: Record<string, string>): Promise<number> {
  const script = `const t0 = performance.now(); await import(process.argv[1]);
console.log("BENCH_INIT", performance.now() - t0);`;
  const args = ["--no-warnings", "--input-type=module", "-e", script, pathToFileURL(file).href];
  const { stdout } = await run(process.execPath, args, { env, timeout: 20_000 });
  const line = stdout.split("\n").find((l) => l.startsWith("BENCH_INIT "));
  if (!line) throw new Error(`${file} printed no init time in a fresh node`);
  return Number(line.slice("BENCH_INIT ".length));
}

export async function runColdStart(options: {
  services: LocalServices;
  repetitions: number;
}): Promise<Section> {
  // The env the local stack gives its handlers (every name lambdas/contract.ts lists, the default
  // reply rules); init makes no call, so where the endpoints point does not matter.
  const localDefaults = { workers: "none", rules: undefined } as const;
  const stack = await startBenchStack(options.services, "bench-coldstart-", localDefaults);
  await stack.stop();
  const initEnv = (fn: FunctionName) => ({
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    ...stack.handlerEnv,
    AWS_LAMBDA_FUNCTION_NAME: fn,
    POWERTOOLS_SERVICE_NAME: fn,
  });
  const functions = Object.values(FUNCTIONS);
  const bundles: Awaited<ReturnType<typeof bundle>>[] = [];
  for (const fn of functions) {
    const factories = CLIENTS_OF[fn];
    const floor = `${BENCH_DIR}/${fn}-floor.ts`;
    mkdirSync(BENCH_DIR, { recursive: true });
    writeFileSync(
      floor,
      `import { ${factories.join(", ")} } from "../../lambdas/adapters/awsClients.ts";
export const clients = [${factories.map((f) => `${f}()`).join(", ")}];
export const handler = async () => clients.length;`,
    );
    bundles.push(await bundle(fn, `${fn} handler`, fn, handlerEntry(fn)));
    bundles.push(await bundle(`${fn}-floor`, `${fn} floor (same SDK clients only)`, fn, floor));
  }
  // Interleave the bundles across repetitions so background noise spreads evenly.
  for (let rep = 0; rep < options.repetitions; rep++) {
    for (const b of bundles) b.initMs.push(await timeInit(b.file, initEnv(b.fn)));
  }
  const byId = (id: string) => bundles.find((b) => b.id === id) as (typeof bundles)[number];
  const targets: TargetCheck[] = functions.flatMap((fn) => {
    const [handler, floor] = [byId(fn), byId(`${fn}-floor`)];
    const ratio = median(handler.initMs) / median(floor.initMs);
    return [
      {
        target: `${fn} init ≤ ${TARGETS.initRatio}× its floor`,
        measured: `${fmt.ratio(ratio)} (${fmt.ms(median(handler.initMs))} vs ${fmt.ms(median(floor.initMs))} ms)`,
        met: ratio <= TARGETS.initRatio,
      },
      {
        target: `${fn} bundle ≤ ${TARGETS.sizeBytes[fn] / 1000} KB minified`,
        measured: `${fmt.kb(handler.bytes)} (gzip ${fmt.kb(handler.gzipBytes)})`,
        met: handler.bytes <= TARGETS.sizeBytes[fn],
      },
      {
        target: `${fn} init ≤ ${TARGETS.initMs[fn]} ms (import time here, not Lambda's Init Duration)`,
        measured: `${fmt.ms(median(handler.initMs))} ms`,
        met: median(handler.initMs) <= TARGETS.initMs[fn],
      },
    ];
  });
  return {
    title: "2. Cold start and bundle size",
    tables: [
      {
        title: `Bundles as deployed and their floors; init = import() in a fresh node, median of ${options.repetitions}`,
        headers: ["bundle", "minified", "gzip", "init p50 ms", "init min ms", "init / floor"],
        rows: bundles.map((b) => [
          b.label,
          fmt.kb(b.bytes),
          fmt.kb(b.gzipBytes),
          fmt.ms(median(b.initMs)),
          fmt.ms(Math.min(...b.initMs)),
          b.id === b.fn ? fmt.ratio(median(b.initMs) / median(byId(`${b.fn}-floor`).initMs)) : "",
        ]),
      },
    ],
    targets,
    notes: [],
  };
}
