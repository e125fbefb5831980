import { performance } from "node:perf_hooks";

/**
 * Measuring primitives: nearest-rank percentiles (the value at rank ⌈p/100 · n⌉ of the sorted
 * samples, so every figure reported was observed), a bounded closed loop and a bounded wait.
 */

/** The nearest-rank percentile `p` (0 < p ≤ 100) of unsorted samples; NaN when empty. */
export function percentile(samples: readonly number[], p: number): number {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil((p / 100) * sorted.length)) - 1] ?? Number.NaN;
}

export const median = (samples: readonly number[]) => percentile(samples, 50);

/** Count, p50, p99, max and mean; NaN figures for no samples. */
export function summarize(samples: readonly number[]) {
  const n = samples.length;
  return {
    count: n,
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    max: n ? Math.max(...samples) : Number.NaN,
    mean: n ? samples.reduce((sum, v) => sum + v, 0) / n : Number.NaN,
  };
}

export interface ClosedLoopResult {
  latenciesMs: number[];
  /** Completed operations per outcome (what the operation resolved to, e.g. "200 accepted"). */
  outcomes: Record<string, number>;
  errors: number;
  firstError?: string;
  elapsedMs: number;
}

/**
 * Runs `operation(i)` with `concurrency` senders, each waiting for its answer before the next,
 * until `maxRequests` have started or `maxMs` has passed: a stalled service cannot hang a run
 * longer than maxMs plus one operation.
 */
export async function runClosedLoop(
  bounds: { concurrency: number; maxRequests: number; maxMs: number },
  operation: (index: number) => Promise<string>,
): Promise<ClosedLoopResult> {
  const result: ClosedLoopResult = { latenciesMs: [], outcomes: {}, errors: 0, elapsedMs: 0 };
  let next = 0;
  const startedAt = performance.now();
  const sender = async () => {
    while (next < bounds.maxRequests && performance.now() - startedAt < bounds.maxMs) {
      const t0 = performance.now();
      try {
        const outcome = await operation(next++);
        result.latenciesMs.push(performance.now() - t0);
        result.outcomes[outcome] = (result.outcomes[outcome] ?? 0) + 1;
      } catch (error) {
        result.errors += 1;
        result.firstError ??= String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, bounds.concurrency) }, sender));
  result.elapsedMs = performance.now() - startedAt;
  return result;
}

/** Polls `condition` until it holds, or throws after `timeoutMs` naming what it waited for. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  options: { timeoutMs: number; what: string },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${options.what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
