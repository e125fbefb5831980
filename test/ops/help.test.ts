import { describe, expect, it } from "vitest";
import { COMMANDS } from "../../ops/commands/index.js";
import { runCli } from "./support/runCli.js";

/** A new user's first minutes: from `--help` alone to a command line that works. */

/**
 * The help's command list as [name, summary] pairs. Summaries are prose ("(no services)", "a|b"):
 * they are compared as strings, never made into patterns.
 */
function listedCommands(help: string): [string, string][] {
  const section = help.split("\nCommands:\n")[1]?.split("\n\n")[0] ?? "";
  return section.split("\n").map((line) => {
    const [, name = "", summary = ""] = /^ {2}(\S+) +(.*)$/.exec(line) ?? [];
    return [name, summary];
  });
}

describe("ops --help", () => {
  it("lists every command with what it is for, how to choose the stack, and the exit codes", async () => {
    const run = await runCli(["--help"]);
    expect(run.code).toBe(0);
    expect(listedCommands(run.stdout)).toEqual(COMMANDS.map((c) => [c.name, c.summary]));
    expect(run.stdout).toContain("--stack NAME");
    expect(run.stdout).toContain("--outputs FILE");
    expect(run.stdout).toContain("npm start -- --outputs FILE");
    expect(run.stdout).toContain(
      "Exit codes: 0 ok, 1 failed (the output says what), 2 usage error.",
    );
  });

  it("shows the overall help for `help` and for no arguments at all (then as a usage error)", async () => {
    expect((await runCli(["help"])).stdout).toEqual((await runCli(["--help"])).stdout);
    const bare = await runCli([]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain("Usage: npm run ops -- <command>");
    expect(bare.stderr).toContain("error: which command?");
  });

  it.each(COMMANDS.map((c) => c.name))(
    "explains `%s` with its arguments, options and examples",
    async (name) => {
      const command = COMMANDS.find((c) => c.name === name);
      for (const args of [
        [name, "--help"],
        [name, "-h"],
        ["help", name],
      ]) {
        const run = await runCli(args);
        expect(run.code).toBe(0);
        expect(run.stdout).toContain(`Usage: npm run ops -- ${name}`);
        for (const option of Object.keys(command?.options ?? {}))
          expect(run.stdout).toContain(`--${option}`);
        expect(run.stdout).toMatch(/Examples:\n {2}npm run ops -- /);
      }
    },
  );

  it("answers a command without a stack with how to choose one", async () => {
    const run = await runCli(["status"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/which stack\? give --stack NAME .* or --outputs FILE/);
    expect(run.stderr).toContain("(see: npm run ops -- status --help)");
  });

  it("names the commands when one is mistyped", async () => {
    const run = await runCli(["stauts", "--outputs", "x.json"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      `unknown command "stauts"; commands: ${COMMANDS.map((c) => c.name).join(", ")}`,
    );
  });

  it.each([
    [
      ["dlq", "--peek", "--limit", "lots"],
      /--limit must be a whole number from 1 to 50, got "lots"/,
    ],
    [["dlq", "--limit", "5"], /--limit says how many messages --peek shows: add --peek/],
    [["dlq", "--limit"], /dlq: --limit needs a value/],
    [["dlq", "--since", "7d"], /dlq: unknown option --since/],
    [["dlq", "everything"], /dlq: unknown queue "everything": jobs or replies/],
    [["redrive"], /redrive: which queue\? jobs or replies/],
    [["redrive", "jobs", "replies"], /redrive: one queue at most/],
    [
      ["status", "--window", "an hour"],
      /--window must be a positive duration like 90s, 15m, 24h or 7d/,
    ],
    [["status", "now"], /status takes no arguments/],
    [["conversation"], /conversation: which contact\? give a phone number/],
    [["conversation", "bob"], /conversation: "bob" is not a phone number \(international format/],
    [
      ["conversation", "+1 415 555 0177", "--since", "a week"],
      /--since must be a positive duration/,
    ],
    [["pending", "+14155550177", "+14155550178"], /pending: one contact at most/],
    [["cancel", "+1 555 0100"], /cancel: "\+1 555 0100" is not a valid international number/],
    [["pause", "+14155550177", "--for", "0h"], /--for must be a positive duration/],
    [["resume", "+14155550177", "--for", "1h"], /resume: unknown option --for/],
    [["status", "--json", "--json=yes"], /status: --json takes no value/],
    [
      ["trigger", "--scheme", "md5"],
      /trigger: --scheme must be one of hmac-sha256, hmac-sha512, secret/,
    ],
    [["trigger", "--contact", "bob"], /trigger: "bob" is not a phone number/],
    [["replay"], /replay: which new rules\? give --rules FILE/],
    [["replay", "--rules", "new.json"], /replay: which rules are today's\? give --current FILE/],
    [
      ["replay", "--rules", "new.json", "--current", "old.json", "--since", "ever"],
      /--since must be a positive duration/,
    ],
  ])("refuses %j as a usage error, before reading any stack", async (args, message) => {
    const run = await runCli([...args, "--outputs", "/does/not/exist.json"]);
    expect(run.code).toBe(2);
    expect(run.stderr + run.stdout).toMatch(message);
  });

  it("answers usage errors as JSON on stdout with --json", async () => {
    const run = await runCli(["dlq", "nowhere", "--json"]);
    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toEqual({
      error: { message: 'dlq: unknown queue "nowhere": jobs or replies', exitCode: 2 },
    });
  });
});
