import { performance } from "node:perf_hooks";

/** Bounds and concurrency of one closed-loop measurement. */
export interface ClosedLoopOptions {
  /** Requests in flight at any time (each "sender" waits for its answer before the next). */
  concurrency: number;
  /** Stop after this many requests have started. */
  maxRequests: number;
  /** Stop starting requests after this long. */
  maxMs: number;
}

export interface ClosedLoopResult {
  /** Latency of every completed operation, in completion order. */
  latenciesMs: number[];
  /** Completed operations per outcome label (what `operation` resolved to), e.g. { "200": 950 }. */
  outcomes: Record<string, number>;
  /** Operations that threw. */
  errors: number;
  /** The first error message seen, for the report. */
  firstError?: string;
  elapsedMs: number;
  /** Completed operations per second over elapsedMs. */
  throughput: number;
}

/**
 * Runs `operation(i)` with `concurrency` senders until `maxRequests` have started or `maxMs` has
 * passed, timing each call. Bounded by count and time, so a stalled service cannot hang a run
 * longer than maxMs plus one operation.
 */
export async function runClosedLoop(
  options: ClosedLoopOptions,
  operation: (index: number) => Promise<string>,
): Promise<ClosedLoopResult> {
  const latenciesMs: number[] = [];
  const outcomes: Record<string, number> = {};
  let errors = 0;
  let firstError: string | undefined;
  let next = 0;
  const startedAt = performance.now();
  const deadline = startedAt + options.maxMs;
  const sender = async () => {
    while (next < options.maxRequests && performance.now() < deadline) {
      const index = next++;
      const t0 = performance.now();
      try {
        const outcome = await operation(index);
        latenciesMs.push(performance.now() - t0);
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      } catch (error) {
        errors += 1;
        firstError ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, sender));
  const elapsedMs = performance.now() - startedAt;
  return {
    latenciesMs,
    outcomes,
    errors,
    ...(firstError === undefined ? {} : { firstError }),
    elapsedMs,
    throughput: elapsedMs > 0 ? (latenciesMs.length / elapsedMs) * 1000 : 0,
  };
}
