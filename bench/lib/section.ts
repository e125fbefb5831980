import type { Table } from "./table.js";

/** A target from research/pipeline.md and whether this run met it. */
export interface TargetCheck {
  /** e.g. "receiver p50 ≤ 1.3× floor at 16 senders" */
  target: string;
  /** The measured figure, formatted. */
  measured: string;
  met: boolean;
}

/** One benchmark's results, printed to the console and written to docs/benchmarks.md. */
export interface Section {
  /** Markdown heading, e.g. "1. Receiver latency and throughput". */
  title: string;
  /** How this benchmark measures (one short paragraph). */
  method: string;
  tables: Table[];
  targets: TargetCheck[];
  /** What misses a target and why; options; caveats. */
  notes: string[];
}
