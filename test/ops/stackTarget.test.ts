import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { provisionForTest } from "../support/localAws.js";
import { runCli } from "./support/runCli.js";

/**
 * `--stack NAME` as on a workstation: the CLI runs `pulumi stack output` (here a stub `pulumi` on
 * PATH that prints outputs and records how it was called) and reaches AWS through the ambient
 * SDK configuration (here AWS_ENDPOINT_URL_SQS pointing at the local emulator).
 */

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const queueName = (url: string) => url.slice(url.lastIndexOf("/") + 1);

let resources: Awaited<ReturnType<typeof provisionForTest>>;
let stubDir: string;

function writeStub(script: string) {
  const file = join(stubDir, "pulumi");
  writeFileSync(file, `#!/bin/sh\n${script}\n`);
  chmodSync(file, 0o755);
}

beforeAll(async () => {
  resources = await provisionForTest();
  stubDir = mkdtempSync(join(tmpdir(), "pulumi-stub-"));
  const outputs = {
    endpointUrl: "https://abc123.execute-api.eu-west-1.amazonaws.com/webhooks/whatsapp",
    queueNames: {
      jobs: queueName(resources.queues.jobs),
      jobsDeadLetter: queueName(resources.queues.jobsDlq),
      replies: queueName(resources.queues.replies),
      repliesDeadLetter: queueName(resources.queues.repliesDlq),
    },
  };
  writeFileSync(join(stubDir, "outputs.json"), JSON.stringify(outputs));
  const sqs = new SQSClient({
    endpoint: resources.awsEnv.AWS_ENDPOINT_URL_SQS,
    region: resources.awsEnv.AWS_REGION,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    useQueueUrlAsEndpoint: false,
  });
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: resources.queues.repliesDlq,
      MessageBody: JSON.stringify({
        kind: "scheduled-reply",
        phone: "4915112345678",
        planId: "p1",
        seq: 0,
        total: 1,
      }),
    }),
  );
  sqs.destroy();
});

const savedPath = process.env.PATH;
afterEach(() => {
  process.env.PATH = savedPath;
});

describe("ops --stack NAME", () => {
  it("reads the stack's outputs with pulumi and reaches AWS with the ambient configuration", async () => {
    writeStub(`echo "$@" > "${stubDir}/args"\ncat "${stubDir}/outputs.json"`);
    const { stdout, code } = await new Promise<{ stdout: string; code: number }>((resolve) => {
      execFile(
        "npx",
        ["tsx", "ops/cli.ts", "dlq", "replies", "--peek", "--stack", "acme/prod", "--json"],
        {
          cwd: REPO_ROOT,
          env: {
            ...process.env,
            ...resources.awsEnv,
            PATH: `${stubDir}:${savedPath}`,
          },
          timeout: 60_000,
        },
        (error, out) => resolve({ stdout: out, code: error ? Number(error.code ?? 1) : 0 }),
      );
    });
    expect(code).toBe(0);
    expect(readFileSync(join(stubDir, "args"), "utf8").trim()).toBe(
      "stack output --json --show-secrets=false --stack acme/prod",
    );
    const [replies] = JSON.parse(stdout).queues;
    expect(replies).toMatchObject({ queue: "replies", total: 1 });
    expect(replies.messages[0]).toMatchObject({
      kind: "scheduled-reply",
      contact: "+49 •••••••5678",
      reply: "p1#1/1",
    });
  }, 60_000);

  it("fails with pulumi's own words when pulumi cannot read the stack", async () => {
    writeStub(`echo "error: no stack named 'nope' found" >&2\nexit 255`);
    process.env.PATH = `${stubDir}:${savedPath}`;
    const run = await runCli(["dlq", "--stack", "nope"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      "pulumi stack output --json --show-secrets=false --stack nope failed",
    );
    expect(run.stderr).toContain("error: no stack named 'nope' found");
  });

  it("says how to go on when the pulumi CLI is not installed", async () => {
    process.env.PATH = join(stubDir, "empty");
    const run = await runCli(["dlq", "--stack", "dev"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /the pulumi CLI is not on PATH: install it .* or describe the stack with --outputs FILE/,
    );
  });

  it("names the output a command needs when the stack does not export it", async () => {
    writeStub(`echo '{"endpointUrl": "https://x.example/webhooks/whatsapp"}'`);
    process.env.PATH = `${stubDir}:${savedPath}`;
    const run = await runCli(["dlq", "--stack", "dev"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /stack "dev" has no "queueNames": deploy a version of the stack that exports it/,
    );
  });

  it("refuses outputs that are not what a stack exports, naming the key", async () => {
    writeStub(`echo '{"queueNames": {"jobs": "a"}}'`);
    process.env.PATH = `${stubDir}:${savedPath}`;
    const run = await runCli(["dlq", "--stack", "dev"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/not valid stack outputs:\n {2}- queueNames\.jobsDeadLetter:/);
  });

  it("refuses --stack together with --outputs as a usage error", async () => {
    const run = await runCli(["status", "--stack", "dev", "--outputs", "x.json"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("give either --stack NAME or --outputs FILE, not both");
  });
});
