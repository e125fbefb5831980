import { execFile } from "node:child_process";
import { availableParallelism } from "node:os";
import { promisify } from "node:util";
import type { PlannedResource } from "../../../infra/awsLimits.js";
import { plain } from "./graph.js";
import { stackFileConfig } from "./stackFiles.js";

export interface ProgramRun {
  registered: (PlannedResource & { provider?: string })[];
  archives: Record<string, { files: string[]; text: string; data: Record<string, string> }>;
}

/**
 * Runs the Pulumi program for one stack file under mocks in a fresh Node process, as Pulumi.yaml
 * makes `pulumi up` load it (`node --import tsx`), with the real Lambda bundles
 * (fixtures/runProgramWithMocks.ts). `config` adds to or overrides the stack file's values, whose
 * placeholders are filled in as a user does before deploying (FILLED_IN).
 */
export async function runProgramForStack(
  stack: string,
  /** undefined removes a key the stack file sets. */
  config: Record<string, string | undefined>,
): Promise<ProgramRun> {
  const run = await runFixture<ProgramRun>("runProgramWithMocks.ts", {
    TEST_PULUMI_STACK: stack,
    TEST_PULUMI_CONFIG: JSON.stringify({
      ...stackFileConfig(stack, { filledIn: true }),
      ...config,
    }),
  });
  for (const r of run.registered) {
    r.inputs = plain(r.inputs) as Record<string, unknown>;
    r.outputs = plain(r.outputs) as Record<string, unknown>;
  }
  return run;
}

/**
 * A program run takes a few seconds of one core. Tests start several at once (every stack file
 * with both entrances); more children than cores only slows each of them until one outlives its
 * bound on a loaded machine, so they take turns, as many at a time as there are cores.
 */
const MAX_CHILDREN = Math.max(1, availableParallelism());
let running = 0;
const waiting: (() => void)[] = [];

async function inTurn<T>(work: () => Promise<T>): Promise<T> {
  if (running >= MAX_CHILDREN) await new Promise<void>((resolve) => waiting.push(resolve));
  running += 1;
  try {
    return await work();
  } finally {
    running -= 1;
    waiting.shift()?.();
  }
}

/**
 * A bound for a stuck child only, far above a run's few seconds: the calling test's own timeout
 * is what judges slowness, so a machine loaded by other work fails no run here.
 */
const STUCK_CHILD_MS = 600_000;

/** Runs a script of test/infra/fixtures/ in a fresh `node --import tsx`; parses its JSON output. */
async function runFixture<T>(script: string, env: Record<string, string>): Promise<T> {
  const { stdout } = await inTurn(() =>
    promisify(execFile)(process.execPath, ["--import", "tsx", `test/infra/fixtures/${script}`], {
      env: { ...process.env, ...env },
      timeout: STUCK_CHILD_MS,
      maxBuffer: 64 * 1024 * 1024,
    }),
  );
  return JSON.parse(stdout) as T;
}
