import type { OpsClients } from "./aws.js";
import type { Target } from "./target.js";

/**
 * The shape every command has: its help text, its options, and a `run` that returns both a
 * rendering for people and a document for `--json`. cli.ts does the rest (parsing, target,
 * printing, exit codes) once for all of them.
 */

export interface OptionHelp {
  type: "string" | "boolean";
  /** Shown in help after the flag, e.g. "N" for `--limit N`. */
  valueName?: string;
  help: string;
}

export interface CommandContext {
  target: Target;
  clients: OpsClients;
  positionals: string[];
  values: Record<string, string | boolean | undefined>;
  now: () => number;
  /** Progress lines of long commands (stderr; never part of the result). */
  progress: (line: string) => void;
}

export interface CommandResult {
  /** false: the command ran but part of it failed (exit 1); the output says which part. */
  ok: boolean;
  text: string;
  json: unknown;
}

/** What a command that may run without a stack gets: the stack only when one was chosen. */
export interface FreeContext extends Omit<CommandContext, "target" | "clients"> {
  target?: Target;
  clients?: OpsClients;
}

interface CommandBase {
  name: string;
  /** One line, for the command list. */
  summary: string;
  /** Arguments after the command name, e.g. "[jobs|replies]". */
  args: string;
  /** What it does and what it shows, in a few lines. */
  description: string;
  options: Record<string, OptionHelp>;
  /** Validates positionals and option values. @throws UsageError */
  check(positionals: string[], values: Record<string, string | boolean | undefined>): void;
  examples: string[];
}

/**
 * A command. Most read or steer a stack (`target` "required", the default). Some need no stack
 * ("none": `validate` reads files only, so --stack/--outputs are not its options) or use one
 * when given ("optional": `trigger --to URL` needs no outputs).
 */
export type Command =
  | (CommandBase & { target?: "required"; run(context: CommandContext): Promise<CommandResult> })
  | (CommandBase & {
      target: "optional" | "none";
      run(context: FreeContext): Promise<CommandResult>;
    });
