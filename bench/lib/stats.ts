/**
 * Summary statistics for benchmark samples. Percentiles use the nearest-rank method (the value
 * at rank ⌈p/100 · n⌉ of the sorted samples): every reported figure is one that was observed.
 */

export interface Summary {
  count: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
}

/** The nearest-rank percentile `p` (0 < p ≤ 100) of `sorted` (ascending); NaN when empty. */
export function percentileOfSorted(sorted: readonly number[], p: number): number {
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/** The nearest-rank percentile `p` of unsorted samples. */
export function percentile(samples: readonly number[], p: number): number {
  return percentileOfSorted(sortedCopy(samples), p);
}

/** The median (nearest-rank p50, so always an observed value). */
export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

/** Count, p50, p99, max and mean; NaN figures for no samples. */
export function summarize(samples: readonly number[]): Summary {
  const sorted = sortedCopy(samples);
  const total = sorted.reduce((sum, value) => sum + value, 0);
  return {
    count: sorted.length,
    p50: percentileOfSorted(sorted, 50),
    p99: percentileOfSorted(sorted, 99),
    max: sorted.length ? (sorted[sorted.length - 1] as number) : Number.NaN,
    mean: sorted.length ? total / sorted.length : Number.NaN,
  };
}

function sortedCopy(samples: readonly number[]): number[] {
  return [...samples].sort((a, b) => a - b);
}
