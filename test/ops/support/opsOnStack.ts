import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeLocalOutputs } from "../../../local/opsOutputs.js";
import type { LocalStack } from "../../../local/stack.js";
import { type CliRun, runCli } from "./runCli.js";

/**
 * The operator's second terminal on a running local stack: its outputs file, written as
 * `npm start -- --outputs FILE` writes it, and the CLI run against that file.
 */
export async function opsOn(stack: LocalStack): Promise<{
  outputsFile: string;
  ops: (...args: string[]) => Promise<CliRun>;
}> {
  const outputsFile = join(mkdtempSync(join(tmpdir(), "ops-")), "outputs.json");
  await writeLocalOutputs(stack, outputsFile);
  return { outputsFile, ops: (...args) => runCli([...args, "--outputs", outputsFile]) };
}
