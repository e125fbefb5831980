import type { SigningSecretDocument } from "../contract.js";
import { isPlainObject, tryParseJson } from "./coerce.js";
import { SigningSecretError } from "./errors.js";

/**
 * Reads the stored signing secret into the list of live secrets, current first.
 *
 * The SecretString is either a SigningSecretDocument (`{"current": "...", "previous": [...]}`,
 * several live during a rotation) or a plain string, read as the only current secret. Plain
 * strings are trimmed (a trailing newline from a CLI paste would otherwise never match a
 * trimmed header). Errors never quote the value.
 */
export function parseSigningSecrets(secretString: string): string[] {
  const trimmed = secretString.trim();
  const parsed = trimmed.startsWith("{") ? tryParseJson(trimmed) : undefined;
  if (!isPlainObject(parsed)) {
    if (trimmed === "") throw new SigningSecretError("the signing secret is empty");
    return [trimmed];
  }
  const document = parsed as Partial<SigningSecretDocument> & Record<string, unknown>;
  if (typeof document.current !== "string" || document.current === "") {
    throw new SigningSecretError('the signing secret document needs a non-empty "current" string');
  }
  const previous = document.previous ?? [];
  const previousList: unknown[] = Array.isArray(previous) ? previous : [previous];
  if (!previousList.every((secret) => typeof secret === "string")) {
    throw new SigningSecretError('"previous" in the signing secret document must be strings');
  }
  const live = [document.current, ...(previousList as string[])].filter((secret) => secret !== "");
  return [...new Set(live)];
}
