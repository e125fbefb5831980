import type { OpsClients } from "./aws.js";
import type { PreflightClients } from "./preflightAws.js";
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

/**
 * Which stack a command talks to, chosen with the global --stack NAME / --outputs FILE:
 * - "required": a deployed stack (its outputs) or an outputs file; most commands.
 * - "optional": one when given (`trigger --to URL` needs none).
 * - "none": no stack, and --stack/--outputs are not its options (`validate` reads files only).
 * - "stackFile": --stack NAME names Pulumi.<NAME>.yaml of a stack that may not be deployed yet
 *   (`preflight`): no outputs are read and no stack clients built.
 */
type TargetKind = "required" | "optional" | "none" | "stackFile";

export interface CommandContext {
  target: Target;
  clients: OpsClients;
  positionals: string[];
  values: Record<string, string | boolean | undefined>;
  now: () => number;
  /** Progress lines of long commands (stderr; never part of the result). */
  progress: (line: string) => void;
  /** The project root (where `npm run` runs): Pulumi.yaml and the stack files. */
  root: string;
  env: NodeJS.ProcessEnv;
  /** How the operator ran the CLI (`npm run ops --`, `whatsable-ops`): see nextCommand. */
  invocation: string;
  /** Read-only AWS clients for a region, the ambient credentials (the preflight's; fakes in tests). */
  preflightClients: (region: string) => Promise<PreflightClients & { destroy?(): void }>;
}

export interface CommandResult {
  /** false: the command ran but part of it failed (exit 1); the output says which part. */
  ok: boolean;
  text: string;
  json: unknown;
}

/**
 * A command line for the operator to run next, the way they ran this one and on the same stack:
 * `npm run ops -- dlq replies --stack prod`.
 */
export function nextCommand(
  context: Pick<CommandContext, "invocation"> & { target?: Pick<Target, "flags"> },
  ...args: string[]
): string {
  return [context.invocation, ...args, context.target?.flags].filter(Boolean).join(" ");
}

/** What a command of any other kind gets: the stack only when one was chosen. */
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
  /** Command lines after the program's name (help puts `npm run ops --` or the bin before each). */
  examples: string[];
}

/** A command, declared one way for all: its stack kind decides what cli.ts gives its `run`. */
export type Command =
  | (CommandBase & { target: "required"; run(context: CommandContext): Promise<CommandResult> })
  | (CommandBase & {
      target: Exclude<TargetKind, "required">;
      run(context: FreeContext): Promise<CommandResult>;
    });
