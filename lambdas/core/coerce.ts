import { PayloadError } from "./errors.js";

/**
 * Tolerant coercions for vendor webhook fields (research/vendor.md "Ambiguities").
 *
 * Hand-written rather than zod: every field accepts several encodings (numbers as strings,
 * seconds or milliseconds, JSON inside strings, big integers that must not pass through a
 * float) and must fail with the field's own name. zod would need a preprocess on every field
 * and would still coerce numbers through Number(); plain functions say it more directly.
 *
 * Each function maps "absent" (undefined, null, and where noted "" or 0) to null and throws
 * PayloadError(field, …) for a value of the wrong type.
 */

/** Largest epoch-milliseconds value a JavaScript Date can hold. */
const MAX_EPOCH_MS = 8.64e15;

/** Epoch values at or above this are milliseconds; below, seconds (1e12 ms = 2001-09-09). */
const MILLISECONDS_THRESHOLD = 1e12;

/** Phone numbers: digits only after stripping formatting; bounds keep keys and logs sane. */
const PHONE_MIN_DIGITS = 5;
const PHONE_MAX_DIGITS = 20;

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A text field: strings as-is, finite numbers as their decimal text. */
export function optionalText(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  throw new PayloadError(field, `${field} must be a string`);
}

/** Like optionalText, with "" also meaning absent (ids, names, URLs). */
export function optionalNonEmptyText(value: unknown, field: string): string | null {
  const text = optionalText(value, field);
  return text === null || text.trim() === "" ? null : text;
}

/**
 * A Unix time in seconds or milliseconds (number, numeric string, or ISO-8601 string) as epoch
 * milliseconds. The unit is told by magnitude: >= 1e12 is milliseconds. 0, "0" and "" mean absent.
 */
export function optionalEpochMs(value: unknown, field: string): number | null {
  if (value === undefined || value === null) return null;
  let ms: number;
  if (typeof value === "number") {
    ms = epochToMs(value, field);
  } else if (typeof value === "string") {
    const text = value.trim();
    if (text === "") return null;
    if (/^\d+(\.\d+)?$/.test(text)) ms = epochToMs(Number(text), field);
    else if (/^\d{4}-\d{2}-\d{2}/.test(text) && !Number.isNaN(Date.parse(text))) {
      ms = Date.parse(text);
    } else {
      throw new PayloadError(field, `${field} must be a Unix time in seconds or milliseconds`);
    }
  } else {
    throw new PayloadError(field, `${field} must be a Unix time in seconds or milliseconds`);
  }
  return ms === 0 ? null : ms;
}

function epochToMs(value: number, field: string): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new PayloadError(field, `${field} must be a non-negative Unix time`);
  }
  const ms = Math.round(value >= MILLISECONDS_THRESHOLD ? value : value * 1000);
  if (ms > MAX_EPOCH_MS) throw new PayloadError(field, `${field} is out of range`);
  return ms;
}

/** A boolean: true/false, "true"/"false" (any case), 1/0, "1"/"0". "" means absent. */
export function optionalBoolean(value: unknown, field: string): boolean | null {
  if (value === undefined || value === null) return null;
  if (typeof value === "boolean") return value;
  if (value === 1 || value === 0) return value === 1;
  if (typeof value === "string") {
    const text = value.trim().toLowerCase();
    if (text === "") return null;
    if (text === "true" || text === "1") return true;
    if (text === "false" || text === "0") return false;
  }
  throw new PayloadError(field, `${field} must be true or false`);
}

/** Labels: a comma-separated string ("sales, vip"), a JSON array in a string, or an array. */
export function labelList(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  let items: unknown[];
  if (Array.isArray(value)) {
    items = value;
  } else if (typeof value === "string") {
    const parsed = value.trim().startsWith("[") ? tryParseJson(value) : undefined;
    items = Array.isArray(parsed) ? parsed : value.split(",");
  } else {
    throw new PayloadError(field, `${field} must be a comma-separated string or an array`);
  }
  return items
    .map((item, index) => {
      if (typeof item === "string") return item.trim();
      if (typeof item === "number" && Number.isFinite(item)) return String(item);
      throw new PayloadError(`${field}[${index}]`, `${field}[${index}] must be a string`);
    })
    .filter((label) => label !== "");
}

/** An object, or a JSON object encoded in a string. "" means absent. */
export function optionalObject(value: unknown, field: string): Record<string, unknown> | null {
  if (value === undefined || value === null) return null;
  if (isPlainObject(value)) return value;
  if (typeof value === "string") {
    if (value.trim() === "") return null;
    const parsed = tryParseJson(value);
    if (isPlainObject(parsed)) return parsed;
  }
  throw new PayloadError(field, `${field} must be an object`);
}

/**
 * The contact's phone number as digits only (no "+"). Strings may carry a leading "+" and
 * spaces, dashes, dots or parentheses. A JSON number beyond 2^53 has lost digits in JSON.parse,
 * so its exact digits are recovered from the raw body text by `recoverInteger`.
 */
export function requiredPhone(
  value: unknown,
  field: string,
  recoverInteger: (lossy: number) => string | null,
): string {
  if (value === undefined || value === null || value === "") {
    throw new PayloadError(field, `${field} is required`);
  }
  let digits: string | null = null;
  if (typeof value === "number") {
    if (Number.isSafeInteger(value) && value > 0) digits = String(value);
    else if (Number.isInteger(value) && value > 0) digits = recoverInteger(value);
  } else if (typeof value === "string") {
    const compact = value.trim().replace(/[\s\-().]/g, "");
    if (/^\+?\d+$/.test(compact)) digits = compact.replace(/^\+/, "");
  } else {
    throw new PayloadError(field, `${field} must be a string or a number`);
  }
  if (digits === null || !/^\d+$/.test(digits)) {
    throw new PayloadError(field, `${field} must be digits with an optional leading "+"`);
  }
  if (digits.length < PHONE_MIN_DIGITS || digits.length > PHONE_MAX_DIGITS) {
    throw new PayloadError(
      field,
      `${field} must have ${PHONE_MIN_DIGITS} to ${PHONE_MAX_DIGITS} digits, got ${digits.length}`,
    );
  }
  return digits;
}

/** JSON.parse that answers undefined instead of throwing. */
export function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
