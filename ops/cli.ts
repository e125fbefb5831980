#!/usr/bin/env node
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { OpsClients } from "./aws.js";
import type { AnyCommand, CommandResult, OptionHelp, StandaloneContext } from "./command.js";
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

const RUN = "npm run ops --";

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
  preflightClients?: StandaloneContext["awsClients"];
  /** Default: the working directory (where `npm run` runs, the project root). */
  root?: string;
  env?: NodeJS.ProcessEnv;
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

export function overallHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    `Usage: ${RUN} <command> [arguments] (--stack NAME | --outputs FILE) [--json]`,
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
    `  ${RUN} status --stack prod`,
    `  ${RUN} conversation +14155550177 --stack prod`,
    `  ${RUN} pause +14155550177 --for 24h --stack prod`,
    `  npm start -- --outputs local.json      # then, in another terminal:`,
    `  ${RUN} pending --outputs local.json`,
    `  ${RUN} validate --stack-file Pulumi.prod.yaml      # no stack needed`,
    `  ${RUN} trigger --outputs local.json --text "hi"`,
    `  ${RUN} redrive --help`,
    "",
  ].join("\n");
}

/** The options every command has, less the stack's for a command that needs none. */
function globalOptionsOf(command: AnyCommand): typeof GLOBAL_OPTIONS {
  if ("standalone" in command || command.target !== "none") return GLOBAL_OPTIONS;
  const { stack: _stack, outputs: _outputs, ...rest } = GLOBAL_OPTIONS;
  return rest;
}

const STACK_USAGE = {
  required: " (--stack NAME | --outputs FILE)",
  optional: " [--stack NAME | --outputs FILE]",
  none: "",
};

export function commandHelp(command: AnyCommand): string {
  // A standalone command (preflight) names a stack file with --stack: no outputs are read.
  const target =
    "standalone" in command ? " --stack NAME" : STACK_USAGE[command.target ?? "required"];
  return [
    `Usage: ${RUN} ${command.name}${command.args ? ` ${command.args}` : ""}${target} [options]`,
    "",
    command.description,
    "",
    "Options:",
    ...optionLines({ ...command.options, ...globalOptionsOf(command) }),
    "",
    "Examples:",
    ...command.examples.map((example) => `  ${example}`),
    "",
  ].join("\n");
}

function findCommand(name: string): AnyCommand {
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
  const wantsJson = argv.includes("--json");
  const fail = (error: unknown, commandName?: string): number => {
    const exitCode = error instanceof OpsError ? error.exitCode : 1;
    const message = messageOf(error);
    if (wantsJson) {
      io.stdout(`${JSON.stringify({ error: { message, exitCode } }, null, 2)}\n`);
    } else {
      const hint =
        exitCode === 2 ? `\n(see: ${RUN} ${commandName ? `${commandName} ` : ""}--help)` : "";
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
      io.stdout(overallHelp());
      return 0;
    }
    name = rest[0];
    rest = [];
    argv = [name, "--help"];
  }
  if (name === undefined) {
    if (loose.values.help) {
      io.stdout(overallHelp());
      return 0;
    }
    io.stderr(overallHelp());
    return fail(new UsageError("which command?"));
  }

  let command: AnyCommand;
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
      io.stdout(commandHelp(command));
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

  // A command that needs no deployed stack (preflight): no outputs are read, no stack clients built.
  if ("standalone" in command) {
    try {
      return finish(
        await command.run({
          positionals,
          values,
          root: io.root ?? process.cwd(),
          env: io.env ?? process.env,
          // Loaded only when asked: an offline preflight never loads the AWS SDK.
          awsClients:
            io.preflightClients ??
            (async (region) => (await import("./preflightAws.js")).realPreflightClients(region)),
          progress,
        }),
      );
    } catch (error) {
      return fail(error, command.name);
    }
  }

  let clients: OpsClients | undefined;
  try {
    const flags = {
      stack: values.stack as string | undefined,
      outputs: values.outputs as string | undefined,
    };
    const wantsTarget =
      command.target === undefined ||
      command.target === "required" ||
      (command.target === "optional" && (flags.stack !== undefined || flags.outputs !== undefined));
    const target = wantsTarget ? await loadTarget(flags, io.pulumi ?? runPulumi) : undefined;
    // Loaded only now: a usage error answers without loading the AWS SDK.
    if (target) {
      clients = io.clients ? io.clients(target) : (await import("./aws.js")).clientsFor(target);
    }
    const base = { positionals, values, now: io.now ?? Date.now, progress };
    return finish(
      command.target === "optional" || command.target === "none"
        ? await command.run({ ...base, target, clients })
        : await command.run({ ...base, target: target as Target, clients: clients as OpsClients }),
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
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  }).then((code) => {
    process.exitCode = code;
  });
}
