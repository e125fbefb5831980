import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postWebhook, sampleWebhookBody, signatureFor } from "../../local/sampleWebhook.js";
import { type NpmStart, READY_TIMEOUT_MS, startNpmStart } from "../support/npmStart.js";
import { type PolicyEndpoint, startPolicyEndpoint } from "../support/policyEndpoint.js";
import { waitFor } from "../support/queues.js";

/**
 * The black-box contract of `npm start` (README.md, "The local stack"): run it as a user would, read the READY line,
 * talk HTTP to the URLs it names, stop it with SIGTERM.
 */

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SECRET = "start-test-signing-secret";
let main: NpmStart;
let child: ChildProcess;
let ready: { receiverUrl: string; vendorUrl: string };
let readyLine = "";
/**
 * The bound of a step that waits on the stack (a reply at the vendor, a shutdown, a refusal): ample
 * on a machine loaded by other work, where a quiet one takes a second or two.
 */
const LOADED_MACHINE_MS = 120_000;

beforeAll(async () => {
  main = await startNpmStart(["--port", "0", "--vendor-port", "0"], {
    WEBHOOK_SIGNING_SECRET: SECRET,
    SIGNATURE_SCHEME: "auto",
  });
  ({ child, readyLine, urls: ready } = main);
}, READY_TIMEOUT_MS + 5000);

// Only if a test failed before the SIGTERM test: stop it cleanly so its JVM goes too.
afterAll(() => main?.stop(), LOADED_MACHINE_MS);

const signedPost = (body: string) =>
  postWebhook(ready.receiverUrl, body, signatureFor(body, SECRET, "hmac-sha256"));

describe("npm start", () => {
  it("prints one READY line with loopback receiver and vendor URLs", () => {
    expect(readyLine).toMatch(/^READY \{.*\}$/);
    expect(Object.keys(ready).sort()).toEqual(["receiverUrl", "vendorUrl"]);
    expect(ready.receiverUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/webhooks\/whatsapp$/);
    expect(ready.vendorUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("keeps stdout clean apart from the READY line", () => {
    expect(main.stdout().trim().split("\n")).toEqual([readyLine]);
  });

  it("says on stderr where its logs go", () => {
    expect(main.stderr()).toMatch(
      /^logs: .* go to stderr, this stream; stdout carries only the READY line$/m,
    );
  });

  it("answers 200 accepted for a new signed delivery, and 200 accepted or duplicate for its repeat", async () => {
    const body = sampleWebhookBody({ phone: "14155550101", text: "hello", at: Date.now() });
    expect(await signedPost(body)).toEqual({ status: 200, body: { status: "accepted" } });
    const repeat = await signedPost(body);
    expect(repeat.status).toBe(200);
    expect(["accepted", "duplicate"]).toContain((repeat.body as { status: string }).status);
  });

  it(
    "delivers the default rules' replies for an accepted message to the vendor simulator",
    async () => {
      const phone = "14155550199";
      const body = sampleWebhookBody({ phone, text: "Hello, anyone there?", at: Date.now() });
      expect((await signedPost(body)).status).toBe(200);
      const rules = JSON.parse(readFileSync(join(REPO_ROOT, "local/defaultRules.json"), "utf8"));
      const wanted = (rules as { match: string; messages: { text: string }[] }[])
        .find((rule) => new RegExp(rule.match, "i").test("Hello, anyone there?"))
        ?.messages.map((m) => m.text);
      expect(wanted?.length).toBeGreaterThan(0);
      const sentTo = async () => {
        const sent = (await (await fetch(`${ready.vendorUrl}/_sent`)).json()) as {
          phone: string;
          text: string;
        }[];
        return sent.filter((s) => s.phone.replace(/\D/g, "") === phone).map((s) => s.text);
      };
      await waitFor(
        "the rule's replies at the vendor",
        async () => (await sentTo()).length >= (wanted?.length ?? 0),
        { timeoutMs: LOADED_MACHINE_MS - 10_000, intervalMs: 200 },
      );
      expect(await sentTo()).toEqual(wanted);
    },
    LOADED_MACHINE_MS,
  );

  it("answers 401 for an unsigned or wrongly signed delivery", async () => {
    const body = sampleWebhookBody({ phone: "14155550102", text: "hi", at: Date.now() });
    expect((await postWebhook(ready.receiverUrl, body, undefined)).status).toBe(401);
    expect((await postWebhook(ready.receiverUrl, body, "0".repeat(64))).status).toBe(401);
  });

  it("answers 400 naming the field for a delivery without a phone number", async () => {
    const body = JSON.stringify({ last_message_of_user: "hi", user_last_message_time: 1 });
    const res = await signedPost(body);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain("phone_number");
  });

  it("answers 405 for GET on the webhook path and 404 for another path", async () => {
    const get = await fetch(ready.receiverUrl);
    const other = await fetch(new URL("/other", ready.receiverUrl), { method: "POST" });
    expect(get.status).toBe(405);
    expect(other.status).toBe(404);
  });

  it("answers 413 for an oversize body", async () => {
    const body = JSON.stringify({ phone_number: "14155550103", padding: "x".repeat(1024 * 1024) });
    expect((await signedPost(body)).status).toBe(413);
  });

  it("lists the vendor simulator's sends as a JSON array at /_sent", async () => {
    const res = await fetch(`${ready.vendorUrl}/_sent`);
    expect(res.status).toBe(200);
    expect(Array.isArray(await res.json())).toBe(true);
  });

  it(
    "exits 0 on SIGTERM, even when the stack's process answers the signal late",
    async () => {
      // A loaded machine, made certain: the process running the stack is stopped while npm
      // passes the signal on, and resumes 500 ms later. Whatever sits between npm and the stack
      // must wait for it (tsx's CLI wrapper gives a child 30 ms, then SIGKILLs it: exit 143).
      const stack = deepestProcess(child.pid as number, "local/start.ts");
      const exited = once(child, "exit");
      process.kill(stack, "SIGSTOP");
      child.kill("SIGTERM");
      await new Promise((resolve) => setTimeout(resolve, 500));
      try {
        process.kill(stack, "SIGCONT");
      } catch {
        // gone already: something between npm and the stack killed it
      }
      const [code] = await exited;
      expect(code).toBe(0);
    },
    LOADED_MACHINE_MS,
  );
});

/** The deepest descendant of `pid` whose command line mentions `script` (Linux /proc). */
function deepestProcess(pid: number, script: string): number {
  const parents = new Map<number, number>();
  for (const entry of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ")".
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // exited meanwhile
    }
  }
  const depthOf = (p: number): number => {
    let depth = 0;
    for (let at = p; at !== pid; depth++) {
      const parent = parents.get(at);
      if (parent === undefined || parent <= 1) return -1;
      at = parent;
    }
    return depth;
  };
  const candidates = [...parents.keys()]
    .filter((p) => depthOf(p) > 0)
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, "utf8").includes(script);
      } catch {
        return false;
      }
    })
    .sort((a, b) => depthOf(b) - depthOf(a));
  const [deepest] = candidates;
  if (deepest === undefined) throw new Error(`no process under ${pid} runs ${script}`);
  return deepest;
}

/** Runs start.ts to completion (for inputs it must refuse before starting anything). */
async function runToExit(
  args: string[],
  env: Record<string, string | undefined> = {},
): Promise<{ code: number | null; out: string; err: string }> {
  const run = spawn("npx", ["tsx", "local/start.ts", ...args], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  let out = "";
  let err = "";
  run.stdout.on("data", (c: Buffer) => {
    out += c.toString();
  });
  run.stderr.on("data", (c: Buffer) => {
    err += c.toString();
  });
  const timer = setTimeout(() => run.kill("SIGKILL"), LOADED_MACHINE_MS - 10_000);
  const [code] = await once(run, "exit");
  clearTimeout(timer);
  return { code, out, err };
}

describe("npm start refusing bad input", { timeout: LOADED_MACHINE_MS }, () => {
  it.each([
    [["--port", "abc"], /--port must be a whole number/],
    [["--vendor-port", "70000"], /--vendor-port must be a whole number/],
    [["--max-sqs-delay", "0"], /--max-sqs-delay must be a whole number from 1 to 900/],
    [["--human-pause", "an hour"], /--human-pause must be a whole number from 0/],
    [["--bogus"], /Unknown option '--bogus'/],
  ])("exits 2 with the usage when the flags are %j", async (args, problem) => {
    const { code, out, err } = await runToExit(args);
    expect(code).toBe(2);
    expect(err).toMatch(problem);
    expect(err).toContain("Usage: npm start");
    expect(out).toBe("");
  });

  const policyUrl = ["--policy-url", "http://127.0.0.1:9/reply"];
  it.each([
    [
      policyUrl,
      undefined,
      /--policy-url needs the policy's secret in the environment: REPLY_POLICY_SECRET=whsec_<base64>/,
    ],
    [
      policyUrl,
      "not-a-whsec",
      /REPLY_POLICY_SECRET: the reply policy secret must look like whsec_<base64>/,
    ],
    [
      policyUrl,
      "whsec_c2hvcnQ=",
      /REPLY_POLICY_SECRET: the reply policy secret must decode to 24 to 64 bytes, got 5/,
    ],
    [
      ["--policy-url", "http://policy.example.com/"],
      `whsec_${"A".repeat(44)}`,
      /--policy-url: the reply policy URL must be https:\/\//,
    ],
  ])(
    "exits 2 with the usage for --policy-url %j and REPLY_POLICY_SECRET %j",
    async (args, secret, problem) => {
      const { code, out, err } = await runToExit(args, { REPLY_POLICY_SECRET: secret });
      expect(code).toBe(2);
      expect(err).toMatch(problem);
      expect(err).toContain("Usage: npm start");
      if (secret) expect(err).not.toContain(secret);
      expect(out).toBe("");
    },
  );

  it("exits non-zero naming the rule and field when the rules file is invalid", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "rules-")), "rules.json");
    writeFileSync(file, JSON.stringify([{ match: "hi", messages: [{ text: "x", delay: -5 }] }]));
    const { code, err, out } = await runToExit(["--rules", file]);
    expect(code).not.toBe(0);
    expect(err).toContain(file);
    expect(err).toMatch(/reply rule 0: messages\[0\]\.delay/);
    expect(out).toBe("");
  });

  it("exits non-zero naming the file when the rules file does not exist", async () => {
    const { code, err } = await runToExit(["--rules", "/nonexistent/rules.json"]);
    expect(code).not.toBe(0);
    expect(err).toMatch(/\/nonexistent\/rules\.json: file not found/);
  });

  it("prints the usage and exits 0 for --help", async () => {
    const { code, out } = await runToExit(["--help"]);
    expect(code).toBe(0);
    expect(out).toContain("--max-sqs-delay");
    expect(out).toContain("--human-pause S");
  });
});

describe("npm start -- --policy-url", () => {
  let policy: PolicyEndpoint;
  let stack: NpmStart;

  beforeAll(async () => {
    policy = await startPolicyEndpoint();
    // Rules without a catch-all, so some message is left for the policy.
    const rules = join(mkdtempSync(join(tmpdir(), "policy-rules-")), "rules.json");
    writeFileSync(
      rules,
      JSON.stringify([{ match: "^hello", messages: [{ text: "hi", delay: 0 }] }]),
    );
    stack = await startNpmStart(
      ["--port", "0", "--vendor-port", "0", "--rules", rules, "--policy-url", policy.url],
      { WEBHOOK_SIGNING_SECRET: SECRET, REPLY_POLICY_SECRET: policy.secret },
    );
  }, READY_TIMEOUT_MS + 5000);

  afterAll(async () => {
    await stack?.stop();
    await policy?.stop();
  }, LOADED_MACHINE_MS);

  it(
    "sends a message no rule matches to the policy, signed, and delivers its answer",
    async () => {
      const phone = "14155550177";
      policy.answer(phone, {
        status: 200,
        body: { messages: [{ text: "your policy says hi", delay: 0 }] },
      });
      const body = sampleWebhookBody({ phone, text: "what do you sell?", at: Date.now() });
      const { receiverUrl, vendorUrl } = stack.urls;
      const answer = await postWebhook(
        receiverUrl,
        body,
        signatureFor(body, SECRET, "hmac-sha256"),
      );
      expect(answer.status).toBe(200);
      const sent = async () => {
        const response = await fetch(`${vendorUrl}/_sent`);
        const records = (await response.json()) as { phone: string; text: string }[];
        return records.filter((r) => r.phone.replace(/\D/g, "") === phone).map((r) => r.text);
      };
      await waitFor("the policy's reply at the vendor", async () => (await sent()).length > 0, {
        timeoutMs: LOADED_MACHINE_MS - 10_000,
        intervalMs: 200,
      });
      expect(await sent()).toEqual(["your policy says hi"]);
      expect(policy.calls(phone).map((c) => c.verified.ok)).toEqual([true]);
      expect(stack.stderr()).not.toContain(policy.secret);
    },
    LOADED_MACHINE_MS,
  );
});
