import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { median, percentile, summarize } from "../../../bench/lib/measure.js";

describe("percentile", () => {
  it("is the nearest-rank value of the sorted samples", () => {
    const samples = [15, 20, 35, 40, 50];
    expect(percentile(samples, 30)).toBe(20);
    expect(percentile(samples, 40)).toBe(20);
    expect(percentile(samples, 50)).toBe(35);
    expect(percentile(samples, 100)).toBe(50);
  });

  it("does not depend on the order of the samples", () => {
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
  });

  it("is the 99th of 100 samples at p99, not the maximum", () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(samples, 99)).toBe(99);
  });

  it("is NaN when there are no samples", () => {
    expect(percentile([], 50)).toBeNaN();
  });

  it("rejects a percentile outside (0, 100]", () => {
    expect(() => percentile([1], 0)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });

  it("is always one of the samples and within their range", () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 1 }),
        fc.integer({ min: 1, max: 100 }),
        (samples, p) => {
          const value = percentile(samples, p);
          expect(samples).toContain(value);
          expect(value).toBeGreaterThanOrEqual(Math.min(...samples));
          expect(value).toBeLessThanOrEqual(Math.max(...samples));
        },
      ),
    );
  });
});

describe("median", () => {
  it("is the lower middle value of an even count (nearest rank)", () => {
    expect(median([1, 2, 3, 4])).toBe(2);
  });
});

describe("summarize", () => {
  it("gives count, p50, p99, max and mean", () => {
    expect(summarize([4, 1, 3, 2])).toEqual({ count: 4, p50: 2, p99: 4, max: 4, mean: 2.5 });
  });

  it("leaves the caller's array unsorted", () => {
    const samples = [3, 1, 2];
    summarize(samples);
    expect(samples).toEqual([3, 1, 2]);
  });
});
