import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalStack, startLocalStack } from "../../local/stack.js";
import { type PolicyEndpoint, startPolicyEndpoint } from "../support/policyEndpoint.js";
import { waitFor } from "../support/queues.js";
import { customerSays, opsOn } from "./support/opsOnStack.js";

/**
 * `npm run ops -- replay` on the local stack started with --data-dir (its conversation table in
 * DynamoDB Local's file): a changed rules file's effect on the logged customer messages, with
 * nothing sent and the customers' data kept back.
 */

const TODAY = [
  { name: "greeting", match: "^hi", messages: [{ text: "Hi {{first_name|there}}!", delay: 0 }] },
  { name: "prices", match: "price", messages: [{ text: "Our prices are online.", delay: 0 }] },
];
const NEW = [
  // Prices answer differently, opening hours are new, and the greeting is gone.
  { name: "prices", match: "price", messages: [{ text: "Here is our price list.", delay: 0 }] },
  { name: "hours", match: "open", messages: [{ text: "We open at 9.", delay: 1000 }] },
];

const CONTACTS = {
  greets: "14155550111",
  asksPrices: "14155550112",
  asksHours: "14155550113",
  optsOut: "14155550114",
  saysThanks: "14155550115",
};

let stack: LocalStack;
let ops: Awaited<ReturnType<typeof opsOn>>["ops"];
let rulesDir: string;
/** The stack's HTTP reply policy: the responder asks it about "thanks" (no rule answers that). */
let policy: PolicyEndpoint;

const sentCount = () => stack.vendor.sent().length;

beforeAll(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "replay-data-"));
  rulesDir = mkdtempSync(join(tmpdir(), "replay-rules-"));
  writeFileSync(join(rulesDir, "today.json"), JSON.stringify(TODAY));
  writeFileSync(join(rulesDir, "new.json"), JSON.stringify(NEW));
  policy = await startPolicyEndpoint();
  stack = await startLocalStack({
    dataDir,
    rules: TODAY,
    replyPolicy: { url: policy.url, secret: policy.secret },
    logLevel: "ERROR",
    log: () => undefined,
  });
  ({ ops } = await opsOn(stack));
  await customerSays(stack, CONTACTS.greets, "hi");
  await customerSays(stack, CONTACTS.asksPrices, "what is the price?");
  await customerSays(stack, CONTACTS.asksHours, "when do you open?");
  await customerSays(stack, CONTACTS.saysThanks, "thanks");
  await customerSays(stack, CONTACTS.optsOut, "price?");
  await waitFor("the replies", () => sentCount() >= 3 || undefined, { timeoutMs: 30_000 });
  await customerSays(stack, CONTACTS.optsOut, "stop");
  // The opt-out confirmation: the contact's stop word was handled.
  await waitFor("the opt-out", () => sentCount() >= 4 || undefined, { timeoutMs: 30_000 });
  // The responder asked the policy about "thanks", live.
  await waitFor(
    "the policy's call",
    () => policy.calls(CONTACTS.saysThanks).length > 0 || undefined,
    {
      timeoutMs: 30_000,
    },
  );
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await policy?.stop();
}, 30_000);

const replay = (...args: string[]) =>
  ops(
    "replay",
    "--rules",
    join(rulesDir, "new.json"),
    "--current",
    join(rulesDir, "today.json"),
    "--since",
    "1h",
    ...args,
  );

describe("ops replay on the local stack (--data-dir)", () => {
  it("reads no message when the rules did not change", async () => {
    const today = join(rulesDir, "today.json");
    const run = await ops("replay", "--rules", today, "--current", today, "--json");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ sameRules: true, rules: today, current: today });
  });

  it("counts what the new rules would change in the logged customer messages", async () => {
    const run = await replay("--json");
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.sameRules).toBe(false);
    expect(result.counts).toEqual({
      unchanged: 1,
      changed: 1,
      "newly answered": 1,
      "no longer answered": 1,
      leftOut: { optedOut: 2, notAskedRules: 0 },
    });
    expect(
      result.messages.map((m: { contact: string; verdict: string }) => [m.contact, m.verdict]),
    ).toEqual([
      ["+1 ••••••0111", "no longer answered"],
      ["+1 ••••••0112", "changed"],
      ["+1 ••••••0113", "newly answered"],
    ]);
    expect(result.messages[2].proposed).toEqual({
      rule: "hours",
      messages: [{ delayMs: 1000 }],
    });
  });

  it("sends nothing: the vendor's sent list is the same after a replay", async () => {
    const sentList = async () => (await fetch(`${stack.vendorUrl}/_sent`)).json();
    const before = await sentList();
    expect(before).toHaveLength(sentCount());
    await replay();
    await replay("--show-text");
    expect(await sentList()).toEqual(before);
  });

  it("masks numbers and shows no text without --show-text", async () => {
    const runs = [await replay(), await replay("--json")];
    for (const run of runs) {
      for (const phone of Object.values(CONTACTS)) expect(run.stdout).not.toContain(phone);
      for (const text of [
        "what is the price?",
        "when do you open?",
        "Here is our price list",
        "We open at 9",
        "Hi there",
      ]) {
        expect(run.stdout).not.toContain(text);
      }
    }
    expect(runs[0]?.stdout).toMatch(
      /\+1 ••••••0112\s+changed\s+prices: 1 reply \(\+0s\)\s+prices: 1 reply \(\+0s\)/,
    );
  });

  it("shows the customers' texts and the replies with --show-text", async () => {
    const run = await replay("--show-text");
    expect(run.stdout).toContain('"when do you open?"');
    expect(run.stdout).toContain('hours: 1 reply (+1s "We open at 9.")');
    expect(run.stdout).toContain('greeting: 1 reply (+0s "Hi there!")');
  });

  it("lets a closure rule answer only the messages of its dates", async () => {
    // Yesterday to today (UTC): the window's messages, even if midnight passed since they came.
    const day = (offsetDays: number) =>
      new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
    const closure = (on: string | { from: string; to: string }) => [
      {
        name: "closed",
        closure: true,
        dates: { timeZone: "UTC", on: [on] },
        messages: [{ text: "Closed today.", delay: 0 }],
      },
      ...TODAY,
    ];
    writeFileSync(
      join(rulesDir, "closed-today.json"),
      JSON.stringify(closure({ from: day(-1), to: day(0) })),
    );
    writeFileSync(join(rulesDir, "closed-later.json"), JSON.stringify(closure("2099-12-25")));
    const run = (file: string) =>
      ops(
        "replay",
        "--rules",
        join(rulesDir, file),
        "--current",
        join(rulesDir, "today.json"),
        "--since",
        "1h",
        "--json",
      );
    const closedToday = JSON.parse((await run("closed-today.json")).stdout);
    // Every message of the window falls on the closure's days: it answers all four.
    expect(closedToday.counts).toMatchObject({ changed: 2, "newly answered": 2, unchanged: 0 });
    const closedLater = JSON.parse((await run("closed-later.json")).stdout);
    expect(closedLater.counts).toMatchObject({ unchanged: 4, changed: 0 });
  });

  it("asks no HTTP reply policy without --policy", async () => {
    const before = policy.calls().length;
    await replay();
    await replay("--json", "--show-text");
    expect(policy.calls()).toHaveLength(before);
  });

  it("with --policy, shows the policy's plan for the messages no rule answers", async () => {
    policy.answer(CONTACTS.greets, {
      status: 200,
      body: { messages: [{ text: "Hello from the policy", delay: 2000 }] },
    });
    const before = policy.calls().length;
    const run = await replay("--policy", "--policy-url", policy.url, "--json");
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    // Three messages reach the policy (greeting under the new rules, hours under today's, thanks
    // under both), each asked once; the policy answers nothing unless scripted.
    expect(policy.calls()).toHaveLength(before + 3);
    expect(result.counts).toMatchObject({
      unchanged: 1,
      changed: 2,
      "newly answered": 1,
      "no longer answered": 0,
      askedPolicy: 3,
    });
    const greets = result.messages.find((m: { contact: string }) => m.contact.endsWith("0111"));
    expect(greets.proposed).toEqual({ rule: "policy", messages: [{ delayMs: 2000 }] });
  });

  it("with --policy, sends the policy the responder's own request: signed, same webhook-id", async () => {
    const live = policy.calls(CONTACTS.saysThanks)[0];
    await replay("--policy", "--policy-url", policy.url);
    const replayed = policy.calls(CONTACTS.saysThanks).at(-1);
    expect(replayed?.verified.ok).toBe(true);
    expect(replayed?.id).toBe(live?.id);
    // The secret came from the stack's Secrets Manager, and no output shows it.
    expect(stack.vendor.sent()).toHaveLength(sentCount());
  });

  it("refuses a policy URL the responder would refuse, naming --policy-url, and asks nothing", async () => {
    const before = policy.calls().length;
    const run = await replay("--policy", "--policy-url", "http://policy.example.com/reply");
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--policy-url:");
    expect(policy.calls()).toHaveLength(before);
  });

  it("refuses --policy-url without --policy", async () => {
    const run = await replay("--policy-url", policy.url);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("--policy-url is used only with --policy");
  });
});
