import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postWebhook, sampleWebhookBody, signatureFor } from "../../local/sampleWebhook.js";
import { waitFor } from "../support/queues.js";
import { startTestStack, type TestStack } from "../support/testStack.js";
import { opsOn } from "./support/opsOnStack.js";

/**
 * The contact commands against the real local stack, through the outputs file `npm start --
 * --outputs` writes: reading a conversation and what is still to be sent, and steering a contact
 * (cancel, pause, resume) with the effect observed where it matters, at the vendor.
 */

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const RULES = [
  {
    match: "^hello$",
    messages: [
      { text: "Hi there", delay: 0 },
      { text: "Anything else?", delay: 1000 },
    ],
  },
  // A follow-up due a few seconds after the first reply: time enough to steer the contact.
  {
    match: "^order$",
    messages: [
      { text: "Got it", delay: 0 },
      { text: "Follow-up", delay: 5000 },
    ],
  },
];

let stack: TestStack;
let outputsFile: string;
let ops: Awaited<ReturnType<typeof opsOn>>["ops"];

beforeAll(async () => {
  stack = await startTestStack({ rules: RULES, workers: "start" });
  ({ outputsFile, ops } = await opsOn(stack));
}, 90_000);

afterAll(async () => {
  await stack?.stop();
}, 30_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A customer message, as the vendor delivers it. */
async function customerSays(phone: string, text: string) {
  const body = sampleWebhookBody({ phone, text, at: Date.now() });
  const answer = await postWebhook(
    stack.receiverUrl,
    body,
    signatureFor(body, stack.signingSecret, "hmac-sha256"),
  );
  expect(answer.status).toBe(200);
}

const sentTo = (phone: string) => stack.sentTo(phone).map((s) => s.text);

describe("ops conversation", () => {
  it("shows a contact's messages and replies in order, each reply sent with its due and sent time", async () => {
    const phone = "14155550101";
    await customerSays(phone, "hello");
    await waitFor("both replies", () => sentTo(phone).length === 2, { timeoutMs: 20_000 });

    const run = await ops("conversation", `+${phone}`);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Contact +${phone}: automation on`);
    expect(run.stdout).toMatch(/TIME\s+FROM\s+STATE\s+DUE\s+SENT\s+TEXT/);
    const lines = run.stdout.split("\n").filter((line) => /customer|bot reply/.test(line));
    expect(lines).toHaveLength(3);
    const past = "(?:\\S+ ago|just now)";
    expect(lines[0]).toMatch(new RegExp(`^  ${past}\\s+customer\\s+—\\s+—\\s+—\\s+hello$`));
    expect(lines[1]).toMatch(
      new RegExp(`^  ${past}\\s+bot reply\\s+sent\\s+${past}\\s+${past}\\s+Hi there$`),
    );
    expect(lines[2]).toMatch(
      new RegExp(`^  ${past}\\s+bot reply\\s+sent\\s+${past}\\s+${past}\\s+Anything else\\?$`),
    );
  }, 40_000);

  it("gives scripts the same conversation as JSON, texts and ISO times included", async () => {
    const run = await ops("conversation", "14155550101", "--json");
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc.contact).toMatchObject({ automation: "on", optedOut: false, pausedUntil: null });
    expect(doc.messages).toEqual([expect.objectContaining({ role: "user", text: "hello" })]);
    expect(doc.replies).toEqual([
      expect.objectContaining({ seq: 0, text: "Hi there", state: "sent", recorded: true }),
      expect.objectContaining({ seq: 1, text: "Anything else?", state: "sent" }),
    ]);
    expect(doc.replies[0].sentAt).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it("says plainly when the table has nothing for a number", async () => {
    const run = await ops("conversation", "+14155550199");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("Contact +14155550199: not in the conversation table");
    expect(run.stdout).toContain("no message from or to this number");
  });

  it("leaves out what is older than --since and says how to see it", async () => {
    await sleep(1100);
    const run = await ops("conversation", "14155550101", "--since", "1s");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("nothing in the last 1s");
    expect(run.stdout).toContain("(3 earlier lines not shown: widen the window with --since");
  });
});

describe("ops pending and cancel", () => {
  const phone = "14155550102";

  it("lists a scheduled follow-up for the contact with its text, and for everyone masked", async () => {
    await customerSays(phone, "order");
    await waitFor("the first reply", () => sentTo(phone).length === 1, { timeoutMs: 20_000 });

    const one = await ops("pending", `+${phone}`);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain(`Pending replies to +${phone}: 1`);
    expect(one.stdout).toMatch(/in \d+s\s+scheduled\s+plan_\w+#2\s+Follow-up/);
    expect(one.stdout).toContain(`Stop them: npm run ops -- cancel +${phone} --outputs`);

    const all = await ops("pending", "--json");
    expect(all.code).toBe(0);
    const doc = JSON.parse(all.stdout);
    expect(doc.replies).toContainEqual(
      expect.objectContaining({ contact: "+1 ••••••0102", seq: 1, state: "scheduled" }),
    );
    expect(doc.scannedItems).toBeGreaterThan(0);
    expect(all.stdout).not.toContain(phone);
    expect(all.stdout).not.toContain("Follow-up");
  }, 30_000);

  it("cancels the follow-up before it is due: the vendor never receives it", async () => {
    const run = await ops("cancel", `+${phone}`);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Cancelled 1 unsent reply to +${phone}:`);
    expect(run.stdout).toMatch(/plan_\w+#2\s+Follow-up/);

    expect((await ops("pending", phone)).stdout).toContain("nothing scheduled for this contact");
    await sleep(7000); // past the follow-up's due time, and the sender's turn
    expect(sentTo(phone)).toEqual(["Got it"]);
    const conversation = await ops("conversation", phone);
    expect(conversation.stdout).toMatch(
      /bot reply\s+cancelled \(operator\)\s+\S+ ago\s+—\s+Follow-up/,
    );
  }, 30_000);

  it("keeps automation on after a cancel: the next message is answered", async () => {
    await customerSays(phone, "hello");
    await waitFor("the replies after cancel", () => sentTo(phone).includes("Anything else?"), {
      timeoutMs: 20_000,
    });
  }, 30_000);

  it("says there is nothing to cancel when nothing is waiting", async () => {
    const run = await ops("cancel", phone);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`Nothing to cancel: +${phone} has no unsent replies.\n`);
  });

  it("shows an empty list for all contacts as an empty state, not an empty table", async () => {
    const run = await ops("pending");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(
      /nothing scheduled: no contact has a reply waiting|Pending replies, all contacts: [1-9]/,
    );
  });
});

describe("ops pause and resume", () => {
  const phone = "14155550103";

  it("pauses a contact: the follow-up due seconds later is not sent, and new messages get no reply", async () => {
    await customerSays(phone, "order");
    await waitFor("the first reply", () => sentTo(phone).length === 1, { timeoutMs: 20_000 });

    const pause = await ops("pause", `+${phone}`, "--for", "1h");
    expect(pause.code).toBe(0);
    expect(pause.stdout).toMatch(
      new RegExp(`^Paused automation for \\+${phone} until \\S+Z \\(in (59m|1h)\\)\\.$`, "m"),
    );
    expect(pause.stdout).toMatch(
      /1 unsent reply cancelled:\n.*DUE\s+REPLY\s+TEXT\n.*#2\s+Follow-up/,
    );
    expect(pause.stdout).toContain(`End it early: npm run ops -- resume +${phone} --outputs`);

    await sleep(1100); // a later second than "order" (message times are whole seconds)
    await customerSays(phone, "hello");
    await sleep(6000);
    expect(sentTo(phone)).toEqual(["Got it"]);

    const conversation = await ops("conversation", phone);
    expect(conversation.stdout).toMatch(
      new RegExp(`Contact \\+${phone}: paused until \\S+ \\(in \\d+m; an operator paused it\\)`),
    );
    expect(conversation.stdout).toMatch(/customer\s+no reply: paused\s+—\s+—\s+hello/);
    expect(conversation.stdout).toMatch(/cancelled \(operator\).*Follow-up/);
  }, 40_000);

  it("resumes a paused contact: its next message gets replies again", async () => {
    const resume = await ops("resume", phone);
    expect(resume.code).toBe(0);
    expect(resume.stdout).toContain(`+${phone}: automation on.`);
    await sleep(1100); // a new message in a later second than the one during the pause
    await customerSays(phone, "hello");
    await waitFor("the replies after resume", () => sentTo(phone).length === 3, {
      timeoutMs: 20_000,
    });
    expect(sentTo(phone)).toEqual(["Got it", "Hi there", "Anything else?"]);
  }, 30_000);

  it("says there is nothing to resume for a contact whose automation is on", async () => {
    const run = await ops("resume", phone, "--json");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ changed: false, contact: { automation: "on" } });
  });

  it("leaves an opt-out in force unless the operator says --opt-in", async () => {
    const optedOut = "14155550104";
    await customerSays(optedOut, "STOP");
    await waitFor("the opt-out confirmation", () => sentTo(optedOut).length === 1, {
      timeoutMs: 20_000,
    });

    const refused = await ops("resume", optedOut);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/opted out .*nothing changed, automation stays off/);
    expect(refused.stdout).toContain(`resume +${optedOut} --opt-in`);
    const still = JSON.parse((await ops("conversation", optedOut, "--json")).stdout);
    expect(still.contact).toMatchObject({ automation: "opted-out", optedOut: true });

    const optIn = await ops("resume", optedOut, "--opt-in");
    expect(optIn.code).toBe(0);
    expect(optIn.stdout).toContain("(opted in by an operator)");
    await sleep(1100);
    await customerSays(optedOut, "hello");
    await waitFor("a reply after the opt-in", () => sentTo(optedOut).includes("Hi there"), {
      timeoutMs: 20_000,
    });
  }, 60_000);
});

describe("ops contact commands with --stack NAME", () => {
  it("reads a contact's pending replies through `pulumi stack output` and the ambient AWS settings", async () => {
    const phone = "14155550105";
    await customerSays(phone, "order");
    await waitFor("the first reply", () => sentTo(phone).length === 1, { timeoutMs: 20_000 });

    const stubDir = mkdtempSync(join(tmpdir(), "pulumi-stub-"));
    const { local: _local, ...deployed } = JSON.parse(
      await import("node:fs/promises").then((fs) => fs.readFile(outputsFile, "utf8")),
    );
    writeFileSync(join(stubDir, "outputs.json"), JSON.stringify(deployed));
    writeFileSync(join(stubDir, "pulumi"), `#!/bin/sh\ncat "${stubDir}/outputs.json"\n`);
    chmodSync(join(stubDir, "pulumi"), 0o755);

    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        "npx",
        ["tsx", "ops/cli.ts", "pending", `+${phone}`, "--stack", "acme/prod", "--json"],
        {
          cwd: REPO_ROOT,
          env: { ...process.env, ...stack.awsEnv, PATH: `${stubDir}:${process.env.PATH}` },
          timeout: 60_000,
        },
        (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out)),
      );
    });
    expect(JSON.parse(stdout).replies).toEqual([
      expect.objectContaining({
        contact: `+${phone}`,
        seq: 1,
        text: "Follow-up",
        state: "scheduled",
      }),
    ]);
  }, 60_000);
});
