#!/usr/bin/env node
import { realpathSync } from "node:fs";
import { basename } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { OpsClients } from "./aws.js";
import type { Command, CommandContext, CommandResult, OptionHelp } from "./command.js";
import { COMMANDS } from "./commands/index.js";
import { messageOf, OpsError, UsageError } from "./errors.js";
import { loadTarget, type PulumiRunner, runPulumi, type Target } from "./target.js";

/**
 * `npm run ops -- <command> [arguments] (--stack NAME | --outputs FILE) [--json]`
 *
 * Parses the command line, finds the stack, runs one command and prints what it returns: text
 * for people, or JSON with --json. Exit codes: 0 ok, 1 failed, 2 usage (OpsError carries them).
 * node:util parseArgs does the parsing: the CLI needs subcommands, string and boolean flags and
 * help text, which it covers with no dependency.
 */

/** This repository's script, and how help names the CLI when it is run in-process (tests). */
const NPM_SCRIPT = "npm run ops --";
/** The package's bin (package.json "bin"), as an installing program runs it. */
export const BIN = "whatsable-ops";

/**
 * How the operator ran the CLI, for help's usage lines and examples: `npm run <script> --` when
 * an npm script runs it with no arguments of its own (this repository's `"ops": "exec tsx
 * ops/cli.ts"`, a host's `"ops": "whatsable-ops"`), else the name it was run by (`whatsable-ops`
 * from `npx whatsable-ops`). npm gives a script's name in npm_lifecycle_event ("npx" under `npm
 * exec`) and its command, without the arguments after `--`, in npm_lifecycle_script
 * (test/fixtures/contracts/npm/README.md). A file run by path (`node dist/lib/ops/cli.js`, the
 * Windows shim of the bin) is named by the bin.
 */
export function invocationOf(scriptPath: string | undefined, env: NodeJS.ProcessEnv): string {
  const nameOf = (file: string) => basename(file).replace(/\.[cm]?[jt]s$/, "");
  const name = nameOf(scriptPath ?? "");
  const event = env.npm_lifecycle_event;
  const scriptWords = env.npm_lifecycle_script?.trim().split(/\s+/) ?? [];
  const last = scriptWords.at(-1);
  if (event && event !== "npx" && last !== undefined && name !== "" && nameOf(last) === name) {
    return `npm run ${event} --`;
  }
  return name === "" || name === "cli" ? BIN : name;
}

const GLOBAL_OPTIONS: Record<string, OptionHelp & { short?: string }> = {
  stack: {
    type: "string",
    valueName: "NAME",
    help: "a deployed stack: its outputs come from `pulumi stack output` (the pulumi\nCLI, logged in); AWS access from your credentials and region\n(AWS_PROFILE, AWS_REGION, ...)",
  },
  outputs: {
    type: "string",
    valueName: "FILE",
    help: "a stack described by an outputs file (`npm start -- --outputs FILE` writes\none for the local stack)",
  },
  json: {
    type: "boolean",
    help: "machine-readable output on stdout (run `npm run -s ops` so npm's own\nbanner stays off stdout)",
  },
  help: { type: "boolean", short: "h", help: "this help" },
};

export interface OpsIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Default: the pulumi CLI on PATH. */
  pulumi?: PulumiRunner;
  now?: () => number;
  /** Default: SDK clients for the target (aws.ts). Tests put AWS-only APIs behind a fake here. */
  clients?: (target: Target) => OpsClients;
  /** Default: read-only SDK clients of the preflight (preflightAws.ts); fakes in tests. */
  preflightClients?: CommandContext["preflightClients"];
  /** Default: the working directory (where `npm run` runs, the project root). */
  root?: string;
  env?: NodeJS.ProcessEnv;
  /** How help names the CLI (invocationOf); default `npm run ops --`. */
  invocation?: string;
}

type ParseOptions = NonNullable<Parameters<typeof parseArgs>[0]>["options"];

function parseOptions(specs: Record<string, OptionHelp & { short?: string }>): ParseOptions {
  return Object.fromEntries(
    Object.entries(specs).map(([name, spec]) => [
      name,
      spec.short ? { type: spec.type, short: spec.short } : { type: spec.type },
    ]),
  );
}

function optionLines(specs: Record<string, OptionHelp & { short?: string }>): string[] {
  const flags = Object.entries(specs).map(([name, spec]) => ({
    flag: `${spec.short ? `-${spec.short}, ` : ""}--${name}${spec.valueName ? ` ${spec.valueName}` : ""}`,
    help: spec.help.split("\n"),
  }));
  const width = Math.max(...flags.map((f) => f.flag.length)) + 2;
  return flags.flatMap(({ flag, help }) =>
    help.map((line, i) => `  ${(i === 0 ? flag : "").padEnd(width)}${line}`),
  );
}

function overallHelp(run = NPM_SCRIPT): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    `Usage: ${run} <command> [arguments] (--stack NAME | --outputs FILE) [--json]`,
    "",
    "See and steer a running reply pipeline, on AWS or the local stack, in the pipeline's terms.",
    "",
    "Commands:",
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    "",
    "Options (every command):",
    ...optionLines(GLOBAL_OPTIONS),
    "",
    "Exit codes: 0 ok, 1 failed (the output says what), 2 usage error.",
    "`validate` needs no stack; `trigger` takes --to URL instead of one.",
    "",
    "Examples:",
    `  ${run} status --stack prod`,
    `  ${run} conversation +14155550177 --stack prod`,
    `  ${run} pause +14155550177 --for 24h --stack prod`,
    `  npm start -- --outputs local.json      # then, in another terminal:`,
    `  ${run} pending --outputs local.json`,
    `  ${run} validate --stack-file Pulumi.prod.yaml      # no stack needed`,
    `  ${run} trigger --outputs local.json --text "hi"`,
    `  ${run} redrive --help`,
    "",
  ].join("\n");
}

/** The options every command has, less the stack's for a command that needs none. */
function globalOptionsOf(command: Command): typeof GLOBAL_OPTIONS {
  if (command.target !== "none") return GLOBAL_OPTIONS;
  const { stack: _stack, outputs: _outputs, ...rest } = GLOBAL_OPTIONS;
  return rest;
}

const STACK_USAGE: Record<Command["target"], string> = {
  required: " (--stack NAME | --outputs FILE)",
  optional: " [--stack NAME | --outputs FILE]",
  none: "",
  stackFile: " --stack NAME",
};

function commandHelp(command: Command, run = NPM_SCRIPT): string {
  return [
    `Usage: ${run} ${command.name}${command.args ? ` ${command.args}` : ""}${STACK_USAGE[command.target]} [options]`,
    "",
    command.description,
    "",
    "Options:",
    ...optionLines({ ...command.options, ...globalOptionsOf(command) }),
    "",
    "Examples:",
    ...command.examples.map((example) => `  ${run} ${example}`),
    "",
  ].join("\n");
}

function findCommand(name: string): Command {
  const command = COMMANDS.find((c) => c.name === name);
  if (command) return command;
  throw new UsageError(
    `unknown command "${name}"; commands: ${COMMANDS.map((c) => c.name).join(", ")}`,
  );
}

/** parseArgs' messages mention its own syntax; say it in the CLI's terms. */
function usageFromParseError(error: unknown, command: string): UsageError {
  const err = error as Error & { code?: string };
  const option = /'(-{1,2}[^'\s]+)/.exec(err.message)?.[1];
  switch (err.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return new UsageError(`${command}: unknown option ${option ?? ""}`.trim());
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      return new UsageError(
        /does not take an argument/.test(err.message)
          ? `${command}: ${option ?? "an option"} takes no value`
          : `${command}: ${option ?? "an option"} needs a value`,
      );
    default:
      return new UsageError(`${command}: ${err.message}`);
  }
}

/**
 * `--for -5h` as parseArgs' own `--for=-5h`: a string option followed by a value that starts with
 * "-" and a digit (a negative number or duration, never an option name) takes it as its value, so
 * the command reports it as an invalid value rather than parseArgs as a missing one.
 */
function joinDashValues(argv: string[], stringOptions: ReadonlySet<string>): string[] {
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    const next = argv[i + 1];
    if (stringOptions.has(token) && next !== undefined && /^-\d/.test(next)) {
      joined.push(`${token}=${next}`);
      i++;
    } else joined.push(token);
  }
  return joined;
}

/** Runs the CLI with `argv` (after `npm run ops --`); resolves to the exit code. */
export async function runOps(argv: string[], io: OpsIo): Promise<number> {
  const run = io.invocation ?? NPM_SCRIPT;
  const wantsJson = argv.includes("--json");
  const fail = (error: unknown, commandName?: string): number => {
    const exitCode = error instanceof OpsError ? error.exitCode : 1;
    const message = messageOf(error);
    if (wantsJson) {
      io.stdout(`${JSON.stringify({ error: { message, exitCode } }, null, 2)}\n`);
    } else {
      const hint =
        exitCode === 2 ? `\n(see: ${run} ${commandName ? `${commandName} ` : ""}--help)` : "";
      io.stderr(`error: ${message}${hint}\n`);
    }
    return exitCode;
  };

  // Pass 1, lenient: which command (flags may come before or after it)?
  const allOptions: Record<string, OptionHelp & { short?: string }> = Object.assign(
    {},
    GLOBAL_OPTIONS,
    ...COMMANDS.map((c) => c.options),
  );
  argv = joinDashValues(
    argv,
    new Set(
      Object.entries(allOptions)
        .filter(([, spec]) => spec.type === "string")
        .map(([name]) => `--${name}`),
    ),
  );
  const loose = parseArgs({
    args: argv,
    options: parseOptions(allOptions),
    strict: false,
    allowPositionals: true,
  });
  let [name, ...rest] = loose.positionals;
  if (name === "help") {
    if (rest[0] === undefined) {
      io.stdout(overallHelp(run));
      return 0;
    }
    name = rest[0];
    rest = [];
    argv = [name, "--help"];
  }
  if (name === undefined) {
    if (loose.values.help) {
      io.stdout(overallHelp(run));
      return 0;
    }
    io.stderr(overallHelp(run));
    return fail(new UsageError("which command?"));
  }

  let command: Command;
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    command = findCommand(name);
    // Pass 2, strict: only this command's options and the global ones.
    let parsed: ReturnType<typeof parseArgs>;
    try {
      parsed = parseArgs({
        args: argv,
        options: parseOptions({ ...globalOptionsOf(command), ...command.options }),
        strict: true,
        allowPositionals: true,
      });
    } catch (error) {
      throw usageFromParseError(error, command.name);
    }
    values = parsed.values as Record<string, string | boolean | undefined>;
    positionals = parsed.positionals.slice(1);
    if (values.help) {
      io.stdout(commandHelp(command, run));
      return 0;
    }
    command.check(positionals, values);
  } catch (error) {
    return fail(error, COMMANDS.some((c) => c.name === name) ? name : undefined);
  }

  const progress = (line: string) => {
    if (!wantsJson) io.stderr(`${line}\n`);
  };
  const finish = (result: CommandResult): number => {
    io.stdout(wantsJson ? `${JSON.stringify(result.json, null, 2)}\n` : `${result.text}\n`);
    return result.ok ? 0 : 1;
  };

  let clients: OpsClients | undefined;
  try {
    const flags = {
      stack: values.stack as string | undefined,
      outputs: values.outputs as string | undefined,
    };
    // A stack file's command (preflight) reads no outputs: --stack names the file.
    const wantsTarget =
      command.target === "required" ||
      (command.target === "optional" && (flags.stack !== undefined || flags.outputs !== undefined));
    const target = wantsTarget ? await loadTarget(flags, io.pulumi ?? runPulumi) : undefined;
    // Loaded only now: a usage error answers without loading the AWS SDK.
    if (target) {
      clients = io.clients ? io.clients(target) : (await import("./aws.js")).clientsFor(target);
    }
    const base = {
      positionals,
      values,
      now: io.now ?? Date.now,
      progress,
      invocation: run,
      root: io.root ?? process.cwd(),
      env: io.env ?? process.env,
      // Loaded only when asked: an offline preflight never loads the AWS SDK.
      preflightClients:
        io.preflightClients ??
        (async (region: string) =>
          (await import("./preflightAws.js")).realPreflightClients(region)),
    };
    return finish(
      command.target === "required"
        ? await command.run({ ...base, target: target as Target, clients: clients as OpsClients })
        : await command.run({ ...base, target, clients }),
    );
  } catch (error) {
    return fail(error, command.name);
  } finally {
    clients?.destroy();
  }
}

function isMain(): boolean {
  try {
    return realpathSync(process.argv[1] ?? "") === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMain()) {
  // The SDK's notice that releases from 2027 need Node 22 is for the project (README, Known
  // limits), not for each operator command's output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  runOps(process.argv.slice(2), {
    invocation: invocationOf(process.argv[1], process.env),
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  }).then((code) => {
    process.exitCode = code;
  });
}
