import type { EnvName } from "../contract.js";

/** Thrown at cold start when the environment is incomplete or malformed: fail fast, name the variable. */
export class ConfigurationError extends Error {
  override name = "ConfigurationError";
}

type Source = Record<string, string | undefined>;

/** A required string variable. */
export function requireEnv(name: EnvName, source: Source = process.env): string {
  const value = source[name];
  if (value === undefined || value.trim() === "") {
    throw new ConfigurationError(`environment variable ${name} is required`);
  }
  return value;
}

/** An optional string variable with a default. */
export function optionalEnv(name: EnvName, fallback: string, source: Source = process.env): string {
  const value = source[name];
  return value === undefined || value === "" ? fallback : value;
}

/** An optional variable that must be one of `allowed` (case-insensitive), with a default. */
export function oneOfEnv<T extends string>(
  name: EnvName,
  allowed: readonly T[],
  fallback: T,
  source: Source = process.env,
): T {
  const value = optionalEnv(name, fallback, source).trim().toLowerCase();
  if (!(allowed as readonly string[]).includes(value)) {
    throw new ConfigurationError(
      `environment variable ${name} must be one of ${allowed.join(", ")}, got "${value}"`,
    );
  }
  return value as T;
}

/** An optional whole-number variable within [min, max], with a default. */
export function intEnv(
  name: EnvName,
  fallback: number,
  range: { min?: number; max?: number } = {},
  source: Source = process.env,
): number {
  const raw = source[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = range;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigurationError(
      `environment variable ${name} must be a whole number in [${min}, ${max}], got "${raw}"`,
    );
  }
  return value;
}
