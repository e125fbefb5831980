import { execFile } from "node:child_process";
import { messageOf, OutputsError, UsageError } from "./errors.js";
import { parseStackOutputs, readOutputsFile, type StackOutputs } from "./outputs.js";

/**
 * Which stack a command talks to: a deployed one (`--stack NAME`: its outputs come from
 * `pulumi stack output`, AWS access from the ambient credentials and region) or any stack an
 * outputs file describes (`--outputs FILE`; the local stack's file also names its endpoints).
 */

export interface Target {
  /** For messages: `stack "dev"` or `outputs file ./local.json`. */
  source: string;
  outputs: StackOutputs;
  /** The flags that choose this target again, for hints: `--stack dev`. */
  flags: string;
  /** True when the outputs name local stand-ins (no CloudWatch, no SQS message-move tasks). */
  local: boolean;
}

export interface TargetFlags {
  stack?: string;
  outputs?: string;
}

/** Runs `pulumi <args>` and returns its stdout; injectable for tests of the failure paths. */
export type PulumiRunner = (args: string[]) => Promise<string>;

/** Long enough for a Pulumi Cloud round trip on a slow link, short enough to not hang a script. */
const PULUMI_TIMEOUT_MS = 60_000;

export const runPulumi: PulumiRunner = (args) =>
  new Promise((resolve, reject) => {
    execFile(
      "pulumi",
      args,
      { timeout: PULUMI_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024, env: process.env },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const code = (error as NodeJS.ErrnoException).code;
        if (code === "ENOENT") {
          return reject(
            new OutputsError(
              "the pulumi CLI is not on PATH: install it (https://www.pulumi.com/docs/install/) " +
                "or describe the stack with --outputs FILE",
              { cause: error },
            ),
          );
        }
        const detail = stderr.trim().split("\n").slice(-5).join("\n  ") || messageOf(error);
        reject(new OutputsError(`pulumi ${args.join(" ")} failed:\n  ${detail}`, { cause: error }));
      },
    );
  });

/** Resolves --stack / --outputs into the stack's outputs. @throws UsageError, OutputsError */
export async function loadTarget(
  flags: TargetFlags,
  pulumi: PulumiRunner = runPulumi,
): Promise<Target> {
  if (flags.stack !== undefined && flags.outputs !== undefined) {
    throw new UsageError("give either --stack NAME or --outputs FILE, not both");
  }
  if (flags.stack !== undefined) {
    if (!/^[\w./-]+$/.test(flags.stack)) {
      throw new UsageError(`--stack: "${flags.stack}" is not a stack name`);
    }
    const source = `stack "${flags.stack}"`;
    // --show-secrets=false: the CLI never asks for secret values, so none can reach its output.
    const stdout = await pulumi([
      "stack",
      "output",
      "--json",
      "--show-secrets=false",
      "--stack",
      flags.stack,
    ]);
    return targetFrom(
      parseJson(stdout, `pulumi stack output for ${source}`),
      source,
      `--stack ${flags.stack}`,
    );
  }
  if (flags.outputs !== undefined) {
    const source = `outputs file ${flags.outputs}`;
    const text = await readOutputsFile(flags.outputs);
    return targetFrom(parseJson(text, source), source, `--outputs ${flags.outputs}`);
  }
  throw new UsageError(
    "which stack? give --stack NAME (a deployed stack, read with the pulumi CLI) or " +
      "--outputs FILE (e.g. the file `npm start -- --outputs FILE` writes)",
  );
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new OutputsError(`${source} is not JSON`, { cause: error });
  }
}

function targetFrom(json: unknown, source: string, flags: string): Target {
  const outputs = parseStackOutputs(json, source);
  return { source, flags, outputs, local: outputs.local !== undefined };
}
