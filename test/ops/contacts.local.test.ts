import { execFile } from "node:child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ListSchedulesCommand, SchedulerClient } from "@aws-sdk/client-scheduler";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../support/queues.js";
import { startTestStack, type TestStack } from "../support/testStack.js";
import { customerSays, opsOn } from "./support/opsOnStack.js";

/**
 * The contact commands against the real local stack, through the outputs file `npm start --
 * --outputs` writes: reading a conversation and what is still to be sent, and steering a contact
 * (cancel, pause, resume) with the effect observed where it matters, at the vendor.
 */

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
/**
 * How long after "order" its follow-up is due. The tests hold the sender as soon as the first
 * reply is out, so what they do next (CLI runs of a few seconds each, more on a loaded machine)
 * may take as long as it takes; this only has to outlast the first reply's way through the stack.
 */
const FOLLOW_UP_DELAY_MS = 15_000;
const RULES = [
  {
    match: "^hello$",
    messages: [
      { text: "Hi there", delay: 0 },
      { text: "Anything else?", delay: 1000 },
    ],
  },
  // A reply a week away: parked in a schedule of the stack's group (Scheduler stand-in).
  {
    match: "^remind me$",
    messages: [
      { text: "Will do", delay: 0 },
      { text: "Your weekly reminder", delay: 7 * 24 * 3600 * 1000 },
    ],
  },
  // A follow-up the tests steer (list, cancel, pause) while the sender is held: see holdSender.
  {
    match: "^order$",
    messages: [
      { text: "Got it", delay: 0 },
      { text: "Follow-up", delay: FOLLOW_UP_DELAY_MS },
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

const sentTo = (phone: string) => stack.sentTo(phone).map((s) => s.text);

/**
 * "order" from `phone`, its first reply sent, then the sender stopped: the follow-up stays
 * unsent, whatever the clock says, until releaseSender.
 */
async function orderWithFollowUpHeld(phone: string) {
  await customerSays(stack, phone, "order");
  await waitFor("the first reply", () => sentTo(phone).length === 1, { timeoutMs: 20_000 });
  await stack.workers.sender?.stop();
  expect(sentTo(phone), "the follow-up went out before the sender was held").toEqual(["Got it"]);
}

function releaseSender() {
  if (!stack.workers.sender?.running()) stack.startWorker("sender");
}

/** Every reply on the replies queue handled: sent, or dropped as cancelled. */
async function repliesQueueEmpty() {
  await waitFor(
    "the sender to handle every queued reply",
    async () => (await stack.depth(stack.resources.queues.replies)) === 0,
    { timeoutMs: FOLLOW_UP_DELAY_MS + 30_000 },
  );
}

describe("ops conversation", () => {
  it("shows a contact's messages and replies in order, each reply sent with its due and sent time", async () => {
    const phone = "14155550101";
    await customerSays(stack, phone, "hello");
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

describe("ops pending and cancel, a reply parked in a schedule", () => {
  const phone = "14155550107";

  it("shows a far reply as held in a schedule, and cancel deletes that schedule", async () => {
    await customerSays(stack, phone, "remind me");
    await waitFor("the first reply", () => sentTo(phone).length === 1, { timeoutMs: 20_000 });
    const scheduler = new SchedulerClient({
      endpoint: stack.awsEnv.AWS_ENDPOINT_URL_SCHEDULER,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    const schedules = async () =>
      (
        await scheduler.send(
          new ListSchedulesCommand({ GroupName: stack.resources.schedules.group }),
        )
      ).Schedules?.map((s) => s.Name) ?? [];
    try {
      await waitFor("its schedule", async () => (await schedules()).length === 1 || undefined);
      const pending = await ops("pending", `+${phone}`, "--json");
      expect(JSON.parse(pending.stdout).replies).toEqual([
        expect.objectContaining({ seq: 1, held: "schedule", text: "Your weekly reminder" }),
      ]);
      const run = await ops("cancel", `+${phone}`);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`Cancelled 1 unsent reply to +${phone}:`);
      expect(run.stdout).toContain("Deleted 1 schedule holding it");
      expect(await schedules()).toEqual([]);
    } finally {
      scheduler.destroy();
    }
  }, 40_000);
});

describe("ops pending and cancel", () => {
  const phone = "14155550102";

  it("lists a scheduled follow-up for the contact with its text, and for everyone masked", async () => {
    await orderWithFollowUpHeld(phone);

    const one = await ops("pending", `+${phone}`);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain(`Pending replies to +${phone}: 1`);
    expect(one.stdout).toMatch(
      /(?:in \S+|\S+ ago|just now)\s+scheduled\s+queue\s+plan_\w+#2\s+Follow-up/,
    );
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

  it(
    "cancels the follow-up before it is sent: the vendor never receives it",
    async () => {
      const run = await ops("cancel", `+${phone}`);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`Cancelled 1 unsent reply to +${phone}:`);
      expect(run.stdout).toMatch(/plan_\w+#2\s+Follow-up/);

      expect((await ops("pending", phone)).stdout).toContain("nothing scheduled for this contact");
      releaseSender();
      await repliesQueueEmpty(); // the follow-up reached the sender at its due time
      expect(sentTo(phone)).toEqual(["Got it"]);
      const conversation = await ops("conversation", phone);
      expect(conversation.stdout).toMatch(
        /bot reply\s+cancelled \(operator\)\s+(?:\S+ ago|just now)\s+—\s+Follow-up/,
      );
    },
    FOLLOW_UP_DELAY_MS + 60_000,
  );

  it("keeps automation on after a cancel: the next message is answered", async () => {
    await customerSays(stack, phone, "hello");
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

  it(
    "pauses a contact: the follow-up due seconds later is not sent, and new messages get no reply",
    async () => {
      await orderWithFollowUpHeld(phone);

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
      await customerSays(stack, phone, "hello");
      await waitFor(
        "the responder to handle the message",
        async () => (await stack.depth(stack.resources.queues.jobs)) === 0,
      );
      releaseSender();
      await repliesQueueEmpty(); // the cancelled follow-up reached the sender at its due time
      expect(sentTo(phone)).toEqual(["Got it"]);

      const conversation = await ops("conversation", phone);
      expect(conversation.stdout).toMatch(
        new RegExp(`Contact \\+${phone}: paused until \\S+ \\(in \\d+m; an operator paused it\\)`),
      );
      expect(conversation.stdout).toMatch(/customer\s+no reply: paused\s+—\s+—\s+hello/);
      expect(conversation.stdout).toMatch(/cancelled \(operator\).*Follow-up/);
    },
    FOLLOW_UP_DELAY_MS + 60_000,
  );

  it("resumes a paused contact: its next message gets replies again", async () => {
    const resume = await ops("resume", phone);
    expect(resume.code).toBe(0);
    expect(resume.stdout).toContain(`+${phone}: automation on.`);
    await sleep(1100); // a new message in a later second than the one during the pause
    await customerSays(stack, phone, "hello");
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
    await customerSays(stack, optedOut, "STOP");
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
    await customerSays(stack, optedOut, "hello");
    await waitFor("a reply after the opt-in", () => sentTo(optedOut).includes("Hi there"), {
      timeoutMs: 20_000,
    });
  }, 60_000);
});

describe("ops contact commands with --stack NAME", () => {
  it("reads a contact's pending replies through `pulumi stack output` and the ambient AWS settings", async () => {
    const phone = "14155550105";
    // A reply a week away: still pending however long the CLI takes to start on a loaded machine.
    await customerSays(stack, phone, "remind me");
    await waitFor("the first reply", () => sentTo(phone).length === 1, { timeoutMs: 20_000 });

    const stubDir = mkdtempSync(join(tmpdir(), "pulumi-stub-"));
    const { local: _local, ...deployed } = JSON.parse(
      await import("node:fs/promises").then((fs) => fs.readFile(outputsFile, "utf8")),
    );
    writeFileSync(join(stubDir, "outputs.json"), JSON.stringify(deployed));
    writeFileSync(join(stubDir, "pulumi"), `#!/bin/sh\ncat "${stubDir}/outputs.json"\n`);
    chmodSync(join(stubDir, "pulumi"), 0o755);

    const stdout = await new Promise<string>((resolve, reject) => {
      // Held sender: however long npx and tsx take to start, the follow-up is still scheduled.
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
        text: "Your weekly reminder",
        state: "scheduled",
        held: "schedule",
      }),
    ]);
  }, 60_000);
});
