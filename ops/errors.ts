/**
 * The ops CLI's one error vocabulary. The exit code travels with the error, so every failure
 * path ends the same way: 2 when the operator asked for something the CLI cannot understand,
 * 1 when the command was understood but could not be done.
 */
export class OpsError extends Error {
  override name = "OpsError";
  readonly exitCode: 1 | 2 = 1;
}

/** A bad command line: unknown command or option, missing or extra arguments, bad values. */
export class UsageError extends OpsError {
  override name = "UsageError";
  override readonly exitCode = 2;
}

/** The stack outputs could not be read, or lack what a command needs. */
export class OutputsError extends OpsError {
  override name = "OutputsError";
}

/** Message of anything thrown, for error lines (never the stack trace). */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
