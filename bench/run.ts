/**
 * `npm run bench`: runs the benchmarks side by side against one set of local AWS stand-ins,
 * prints their tables and writes docs/benchmarks.md.
 *
 *   npm run bench                      all benchmarks, full bounds
 *   npm run bench -- --only receiver,signature
 *   npm run bench -- --quick           short bounds (a smoke run; does not write the doc)
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { startLocalServices } from "../local/services/index.js";
import { runCallsAndCost } from "./callsAndCost.js";
import { runColdStart } from "./coldStart.js";
import { captureHandlerLogs } from "./lib/logCapture.js";
import { describeEnvironment } from "./lib/machine.js";
import type { Section } from "./lib/section.js";
import { runReceiverLatency } from "./receiverLatency.js";
import { headerFrom, renderDocument, renderSectionForConsole } from "./report.js";
import { runScheduling } from "./scheduling.js";
import { runSignature } from "./signature.js";

const DOC = new URL("../docs/benchmarks.md", import.meta.url);
const BENCHMARKS = ["receiver", "coldstart", "cost", "scheduling", "signature"] as const;
type Benchmark = (typeof BENCHMARKS)[number];

function parseOptions() {
  const { values } = parseArgs({
    options: {
      only: { type: "string" },
      quick: { type: "boolean", default: false },
      "no-doc": { type: "boolean", default: false },
    },
  });
  const only = values.only?.split(",").map((s) => s.trim()) ?? [...BENCHMARKS];
  for (const name of only) {
    if (!(BENCHMARKS as readonly string[]).includes(name)) {
      throw new Error(`unknown benchmark "${name}"; choose from ${BENCHMARKS.join(", ")}`);
    }
  }
  return {
    only: new Set(only as Benchmark[]),
    quick: values.quick,
    writeDoc: !values.quick && !values["no-doc"] && only.length === BENCHMARKS.length,
  };
}

async function main(): Promise<void> {
  const options = parseOptions();
  const capture = captureHandlerLogs();
  const print = (text: string) => capture.print(text);
  const env = describeEnvironment();
  const startedAt = Date.now();
  const sections: Section[] = [];
  const failures: string[] = [];
  const services = await startLocalServices();
  // Ctrl-C must not leave the DynamoDB Local JVM behind.
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      services.stop().finally(() => process.exit(130));
    });
  }
  const run = async (name: Benchmark, bench: () => Promise<Section>) => {
    if (!options.only.has(name)) return;
    const startedAt = Date.now();
    print(`\n▶ ${name} …\n`);
    try {
      const section = await bench();
      sections.push(section);
      print(
        `\n${renderSectionForConsole(section)}(${((Date.now() - startedAt) / 1000).toFixed(1)} s)\n`,
      );
    } catch (error) {
      const message = `${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
      failures.push(message.split("\n")[0] as string);
      print(`\n✖ ${message}\n`);
    }
  };
  try {
    await run("receiver", () =>
      runReceiverLatency({
        services,
        concurrencies: [1, 16, 64],
        maxRequests: options.quick ? 200 : 3000,
        maxMs: options.quick ? 1000 : 1250,
        rounds: options.quick ? 1 : 4,
        warmupRequests: options.quick ? 50 : 300,
      }),
    );
    await run("coldstart", () => runColdStart({ services, repetitions: options.quick ? 3 : 9 }));
    await run("cost", () =>
      runCallsAndCost({
        services,
        capture,
        webhooks: options.quick ? 10 : 40,
        hopWebhooks: options.quick ? 5 : 10,
        maxSqsDelaySeconds: 2,
      }),
    );
    await run("scheduling", () =>
      runScheduling({
        services,
        capture,
        conversations: options.quick ? 4 : 12,
        staggerMs: 300,
        offsetsMs: [0, 250, 1000, 1900, 2600, 4200, 7300, 10_500],
        maxSqsDelaySeconds: 2,
      }),
    );
    await run("signature", () =>
      runSignature({
        durationMs: options.quick ? 100 : 500,
        warmupMs: options.quick ? 50 : 150,
      }),
    );
  } finally {
    await services.stop();
    capture.stop();
  }
  if (options.writeDoc) {
    const existing = existsSync(DOC) ? readFileSync(DOC, "utf8") : undefined;
    const summary = {
      durationSeconds: (Date.now() - startedAt) / 1000,
      loadAverageAtEnd: loadavg().map((l) => Math.round(l * 100) / 100),
    };
    writeFileSync(DOC, renderDocument(headerFrom(existing), env, summary, sections, failures));
    print(`\nwrote docs/benchmarks.md\n`);
  }
  if (failures.length) process.exitCode = 1;
}

await main();
