/**
 * Drops the one warning Node 22 prints when fauxqs loads `node:sqlite` ("ExperimentalWarning:
 * SQLite is an experimental feature…"): it says nothing about this project and lands in the middle
 * of `npm run demo`'s story and every test run. Every other warning (other experimental features
 * included) is emitted as before. Node emits it through process.emitWarning (lib/internal/util.js
 * emitExperimentalWarning), so a wrapper installed before `node:sqlite` loads sees it;
 * local/services/fauxqs.ts installs it, then imports fauxqs dynamically (a static import links
 * node:sqlite, and so warns, before any module body runs). `--disable-warning
 * =ExperimentalWarning` would silence every experimental feature, not this one.
 */

const INSTALLED = Symbol.for("whatsable.reply-pipeline.sqliteWarningFilter");

/** Whether a warning is Node's SQLite experimental-feature notice. */
export function isSqliteExperimentalWarning(warning: unknown, typeOrOptions?: unknown): boolean {
  const message = typeof warning === "string" ? warning : (warning as Error | undefined)?.message;
  const type =
    typeof warning === "object" && warning !== null
      ? (warning as Error).name
      : typeof typeOrOptions === "string"
        ? typeOrOptions
        : (typeOrOptions as { type?: string } | undefined)?.type;
  return (
    type === "ExperimentalWarning" &&
    typeof message === "string" &&
    message.startsWith("SQLite is an experimental feature")
  );
}

const host = process as NodeJS.Process & { [INSTALLED]?: true };
if (!host[INSTALLED]) {
  host[INSTALLED] = true;
  const emitWarning = process.emitWarning;
  process.emitWarning = function emitWarningExceptSqlite(
    this: NodeJS.Process,
    warning: string | Error,
    ...rest: unknown[]
  ) {
    if (isSqliteExperimentalWarning(warning, rest[0])) return;
    return (emitWarning as (...args: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
}
