import { UsageError } from "./errors.js";

/**
 * Durations as operators type them (`90s`, `15m`, `24h`, `7d`) and as they read them. Written by
 * hand: the format is four units and a number, smaller than any library's options for it.
 */

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** The longest a duration option may be, and why (said in the error). */
export interface DurationLimit {
  ms: number;
  why: string;
}

/**
 * Parses `<whole number><s|m|h|d>`, e.g. "15m", up to `limit` when one is given.
 * @throws UsageError naming the option
 */
export function parseDuration(option: string, raw: string, limit?: DurationLimit): number {
  const match = /^(\d{1,6})([smhd])$/.exec(raw.trim());
  if (!match || Number(match[1]) === 0) {
    throw new UsageError(
      `--${option} must be a positive duration like 90s, 15m, 24h or 7d, got "${raw}"`,
    );
  }
  const ms = Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  if (limit && ms > limit.ms) {
    throw new UsageError(
      `--${option} must be at most ${formatDuration(limit.ms)} (${limit.why}), got "${raw}"`,
    );
  }
  return ms;
}

/** "45s", "12m", "3h 05m", "2d 4h": two units at most, the way a person says it. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24)
    return minutes % 60 ? `${hours}h ${String(minutes % 60).padStart(2, "0")}m` : `${hours}h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days}d ${hours % 24}h` : `${days}d`;
}

/** "3m ago", "in 2h 05m", "just now": a time relative to `now`. */
export function formatRelative(at: number, now: number): string {
  const delta = at - now;
  if (Math.abs(delta) < 1000) return "just now";
  return delta < 0 ? `${formatDuration(-delta)} ago` : `in ${formatDuration(delta)}`;
}
