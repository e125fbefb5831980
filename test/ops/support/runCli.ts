import { type OpsIo, runOps } from "../../../ops/cli.js";

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the ops CLI in-process, as `npm run ops -- <args>` would, and captures what it prints. */
export async function runCli(args: string[], io: Partial<OpsIo> = {}): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await runOps(args, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    ...io,
  });
  return { code, stdout, stderr };
}
