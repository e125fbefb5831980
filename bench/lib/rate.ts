import { performance } from "node:perf_hooks";

/**
 * Calls `operation` in a tight loop for about `durationMs` (after a warm-up of `warmupMs`) and
 * returns calls per second. The clock is read every `batch` calls so timing does not dominate
 * cheap operations.
 */
export function measureRate(
  operation: () => unknown,
  options: { durationMs: number; warmupMs: number; batch?: number },
): { opsPerSecond: number; iterations: number } {
  const batch = options.batch ?? 32;
  let sink: unknown;
  const spin = (ms: number) => {
    let iterations = 0;
    const start = performance.now();
    let now = start;
    while (now - start < ms) {
      for (let i = 0; i < batch; i++) sink = operation();
      iterations += batch;
      now = performance.now();
    }
    return { iterations, elapsed: now - start };
  };
  spin(options.warmupMs);
  const { iterations, elapsed } = spin(options.durationMs);
  // Keep the results observable so the loop is not optimised away.
  if (sink === Symbol.for("never")) console.log(sink);
  return { opsPerSecond: (iterations / elapsed) * 1000, iterations };
}
