import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../support/queues.js";
import { startTestStack, type TestStack } from "../support/testStack.js";
import { opsOn } from "./support/opsOnStack.js";
import { runCli } from "./support/runCli.js";

/**
 * `npm run ops -- trigger` against the real local stack: a signed delivery the receiver accepts
 * (and the pipeline answers), a wrongly signed one it refuses, a vendor retry that yields no
 * second reply, all without printing the secret.
 */

const RULES = [{ name: "pong", match: "^ping$", messages: [{ text: "pong", delay: 0 }] }];

let stack: TestStack;
let ops: Awaited<ReturnType<typeof opsOn>>["ops"];

beforeAll(async () => {
  stack = await startTestStack({ rules: RULES, workers: "start" });
  ({ ops } = await opsOn(stack));
}, 90_000);

afterAll(async () => {
  await stack?.stop();
}, 30_000);

describe("ops trigger on the local stack", () => {
  it("sends a delivery signed with the stack's secret that the receiver accepts and the rules answer", async () => {
    const run = await ops("trigger", "--text", "ping", "--contact", "+1 415 555 0101");
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`POST ${stack.receiverUrl}`);
    expect(run.stdout).toContain('answer: 200 {"status":"accepted"}');
    const sent = await waitFor("the reply", () => {
      const replies = stack.sentTo("14155550101");
      return replies.length > 0 ? replies : undefined;
    });
    expect(sent.map((s) => s.text)).toEqual(["pong"]);
  });

  it("signs wrongly with --bad-signature, and the receiver refuses it (401)", async () => {
    const run = await ops("trigger", "--bad-signature", "--json");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      badSignature: true,
      answers: [{ status: 401 }],
      ok: true,
    });
  });

  it("sends a repeat delivery as the vendor retries, which yields no second reply", async () => {
    const run = await ops(
      "trigger",
      "--text",
      "ping",
      "--contact",
      "+14155550102",
      "--repeat",
      "--json",
    );
    expect(run.code).toBe(0);
    const answers = JSON.parse(run.stdout).answers as { status: number }[];
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    await waitFor("the reply", () => stack.sentTo("14155550102").length > 0 || undefined);
    // The replies queue and the sender have had time to send a second one, were there one.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(stack.sentTo("14155550102")).toHaveLength(1);
  });

  it("signs with WEBHOOK_SIGNING_SECRET for --to URL without a stack", async () => {
    const saved = process.env.WEBHOOK_SIGNING_SECRET;
    process.env.WEBHOOK_SIGNING_SECRET = stack.signingSecret;
    try {
      const run = await runCli(["trigger", "--to", stack.receiverUrl, "--text", "hello"]);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain("answer: 200");
    } finally {
      if (saved === undefined) delete process.env.WEBHOOK_SIGNING_SECRET;
      else process.env.WEBHOOK_SIGNING_SECRET = saved;
    }
  });

  it("exits 1 when the receiver refuses a delivery it should accept (a wrong secret)", async () => {
    const saved = process.env.WEBHOOK_SIGNING_SECRET;
    process.env.WEBHOOK_SIGNING_SECRET = "not-the-secret";
    try {
      const run = await runCli(["trigger", "--to", stack.receiverUrl]);
      expect(run.code).toBe(1);
      expect(run.stdout).toContain("answer: 401");
      expect(run.stdout).toContain("expected 2xx");
    } finally {
      if (saved === undefined) delete process.env.WEBHOOK_SIGNING_SECRET;
      else process.env.WEBHOOK_SIGNING_SECRET = saved;
    }
  });

  it("never prints the signing secret, even signing with the secret itself", async () => {
    const runs = [
      await ops("trigger", "--scheme", "secret"),
      await ops("trigger", "--scheme", "secret", "--json"),
    ];
    for (const run of runs) {
      expect(run.code).toBe(0);
      expect(run.stdout + run.stderr).not.toContain(stack.signingSecret);
    }
  });

  it("the README's curl example is a delivery the receiver accepts", async () => {
    const readme = readFileSync("README.md", "utf8");
    const script = /<!-- signed-curl -->\n```sh\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(script).toBeDefined();
    const run = await promisify(execFile)("bash", [
      "-euc",
      (script ?? "")
        .replace("local-test-secret", stack.signingSecret)
        .replace("http://127.0.0.1:3000/webhooks/whatsapp", stack.receiverUrl),
    ]);
    expect(run.stdout).toBe('{"status":"accepted"}');
  });
});
