import { execFile } from "node:child_process";
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
 * (fixtures/runProgramWithMocks.ts). `config` adds to or overrides the stack file's values.
 */
export async function runProgramForStack(
  stack: string,
  /** undefined removes a key the stack file sets. */
  config: Record<string, string | undefined>,
): Promise<ProgramRun> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", "test/infra/fixtures/runProgramWithMocks.ts"],
    {
      env: {
        ...process.env,
        TEST_PULUMI_STACK: stack,
        TEST_PULUMI_CONFIG: JSON.stringify({ ...stackFileConfig(stack), ...config }),
      },
      timeout: 120_000,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  const run = JSON.parse(stdout) as ProgramRun;
  for (const r of run.registered) {
    r.inputs = plain(r.inputs) as Record<string, unknown>;
    r.outputs = plain(r.outputs) as Record<string, unknown>;
  }
  return run;
}

/** One resource as fixtures/recordGraph.ts records it. */
export interface GraphEntry {
  type: string;
  name: string;
  urn: string;
  parent: string;
  protect: boolean;
  retainOnDelete: boolean;
  additionalSecretOutputs: string[];
  dependencies: string[];
  aliases: Record<string, unknown>[];
  inputs: Record<string, unknown>;
}

/** The vendor token the graph recordings use (a stand-in, recorded only as "[secret]"). */
export const GRAPH_TOKEN = "graph-snapshot-token";

/**
 * Records the resource graph of one stack file under mocks in a fresh Node process
 * (fixtures/recordGraph.ts), with the stack file's config and a stand-in vendor token.
 */
export async function recordGraphForStack(
  stack: string,
  program = "infra/index.ts",
): Promise<{ stack: string; resources: GraphEntry[] }> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", "test/infra/fixtures/recordGraph.ts"],
    {
      env: {
        ...process.env,
        TEST_PULUMI_STACK: stack,
        TEST_PULUMI_PROGRAM: program,
        TEST_PULUMI_CONFIG: JSON.stringify({
          ...stackFileConfig(stack),
          "whatsable-replies:vendorToken": GRAPH_TOKEN,
        }),
      },
      timeout: 120_000,
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return JSON.parse(stdout);
}
