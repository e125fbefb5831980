/**
 * `npm run bench`: the benchmarks side by side against one set of local AWS stand-ins; prints
 * their tables and rewrites the generated part of docs/benchmarks.md.
 *
 *   npm run bench                      all benchmarks, full bounds
 *   npm run bench -- --only receiver,coldstart
 *   npm run bench -- --quick           short bounds (a smoke run; does not write the doc)
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { startLocalServices } from "../local/services/index.js";
import { runCallsAndCost } from "./callsAndCost.js";
import { runColdStart } from "./coldStart.js";
import { runHangingPolicy } from "./hangingPolicy.js";
import * as report from "./lib/report.js";
import { captureHandlerLogs } from "./lib/stack.js";
import { runReceiverLatency } from "./receiverLatency.js";
import { runScheduling } from "./scheduling.js";

const DOC = new URL("../docs/benchmarks.md", import.meta.url);
const { values } = parseArgs({
  options: {
    only: { type: "string" },
    quick: { type: "boolean", default: false },
  },
});
const quick = values.quick;
const capture = captureHandlerLogs();
const services = await startLocalServices();
// Ctrl-C must not leave the DynamoDB Local JVM behind.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void services.stop().finally(() => process.exit(130)));
}
const BENCHMARKS: Record<string, () => Promise<report.Section>> = {
  receiver: () =>
    runReceiverLatency({
      services,
      concurrencies: [1, 16, 64],
      maxRequests: quick ? 200 : 3000,
      maxMs: quick ? 1000 : 1250,
      rounds: quick ? 1 : 4,
      warmupRequests: quick ? 50 : 300,
    }),
  coldstart: () => runColdStart({ services, repetitions: quick ? 3 : 9 }),
  cost: () => runCallsAndCost({ services, capture, webhooks: quick ? 10 : 40 }),
  scheduling: () =>
    runScheduling({
      services,
      conversations: quick ? 4 : 12,
      staggerMs: 300,
      offsetsMs: [0, 250, 1000, 1900, 2600, 4200, 7300, 10_500],
      maxSqsDelaySeconds: 2,
    }),
  hanging: () => runHangingPolicy({ services, rounds: quick ? 2 : 5, hanging: 6 }),
};
const only = values.only?.split(",").map((s) => s.trim()) ?? Object.keys(BENCHMARKS);
const unknown = only.find((name) => !BENCHMARKS[name]);
const env = report.describeEnvironment();
const sections: report.Section[] = [];
const failures: string[] = [];
try {
  if (unknown)
    throw new Error(`unknown benchmark "${unknown}"; choose from ${Object.keys(BENCHMARKS)}`);
  for (const [name, bench] of Object.entries(BENCHMARKS)) {
    if (!only.includes(name)) continue;
    const started = Date.now();
    capture.print(`\n▶ ${name} …\n`);
    try {
      const section = await bench();
      sections.push(section);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      capture.print(`\n${report.renderSectionForConsole(section)}(${seconds} s)\n`);
    } catch (error) {
      const message = `${name}: ${error instanceof Error ? (error.stack ?? error.message) : error}`;
      failures.push(message.split("\n")[0] as string);
      capture.print(`\n✖ ${message}\n`);
    }
  }
} finally {
  await services.stop();
  capture.stop();
}
if (!quick && only.length === Object.keys(BENCHMARKS).length) {
  const existing = existsSync(DOC) ? readFileSync(DOC, "utf8") : undefined;
  const durationSeconds = (Date.now() - Date.parse(env.date)) / 1000;
  const summary = { durationSeconds, loadAverageAtEnd: loadavg() };
  const text = report.renderDocument(report.headerFrom(existing), env, summary, sections, failures);
  writeFileSync(DOC, text);
  capture.print("\nwrote docs/benchmarks.md\n");
}
if (failures.length) process.exitCode = 1;
