import { runInFreshNode } from "./freshNode.js";

/**
 * Times the INIT of a bundle as a Lambda runtime does it: a fresh `node` process imports the
 * module (which builds its config, logger and SDK clients at module scope). Only the import is
 * timed, not Node's own start-up, which is the same for every bundle.
 */

export interface InitSample {
  importMs: number;
  rssMb: number;
}

const MARKER = "BENCH_INIT ";

/** The child's script: import the bundle given as argv[1], report the time on stdout. */
const SCRIPT = `
const t0 = performance.now();
await import(process.argv[1]);
const importMs = performance.now() - t0;
process.stdout.write("\\n${MARKER}" + JSON.stringify({ importMs, rssMb: process.memoryUsage().rss / 1048576 }) + "\\n");
`;

export function timeInit(
  file: string,
  env: Record<string, string>,
  timeoutMs = 20_000,
): Promise<InitSample> {
  return runInFreshNode<InitSample>({ script: SCRIPT, marker: MARKER, file, env, timeoutMs });
}
