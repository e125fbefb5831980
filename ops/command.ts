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

/** What a command that runs before any stack exists gets (no outputs, no stack clients). */
export interface StandaloneContext {
  positionals: string[];
  values: Record<string, string | boolean | undefined>;
  /** The project root: where Pulumi.yaml and the stack files are. */
  root: string;
  env: NodeJS.ProcessEnv;
  /** Read-only AWS clients for a region (the ambient credentials; fakes in tests). */
  awsClients: (region: string) => Promise<PreflightClients & { destroy?(): void }>;
  progress: (line: string) => void;
}

/**
 * A command that needs no deployed stack (`preflight`): `--stack NAME` names a stack file, and
 * cli.ts neither reads outputs nor builds the stack's clients for it.
 */
export interface StandaloneCommand extends CommandBase {
  standalone: true;
  target?: undefined;
  run(context: StandaloneContext): Promise<CommandResult>;
}

export type AnyCommand = Command | StandaloneCommand;
