import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import { writeLocalOutputs } from "../../../local/opsOutputs.js";
import { postWebhook, sampleWebhookBody, signatureFor } from "../../../local/sampleWebhook.js";
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

/** A customer's message to the stack, delivered (and signed) as the vendor does; accepted. */
export async function customerSays(
  stack: Pick<LocalStack, "receiverUrl" | "signingSecret">,
  phone: string,
  text: string,
): Promise<void> {
  const body = sampleWebhookBody({ phone, text, at: Date.now() });
  const answer = await postWebhook(
    stack.receiverUrl,
    body,
    signatureFor(body, stack.signingSecret, "hmac-sha256"),
  );
  expect(answer.status).toBe(200);
}
