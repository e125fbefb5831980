import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The reply rules the local stack and the demo use when no --rules file is given. */
export const DEFAULT_RULES_PATH = fileURLToPath(new URL("./defaultRules.json", import.meta.url));

/** A rules file that cannot be read or is not JSON; the message names the file and the problem. */
export class RulesFileError extends Error {
  override name = "RulesFileError";
}

/** Reads and JSON-parses a rules file (validation is parseReplyRules' job). */
export function readRulesFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "file not found" : (error as Error).message;
    throw new RulesFileError(`cannot read rules file ${path}: ${reason}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new RulesFileError(`rules file ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

/** The default rules, or undefined when local/defaultRules.json does not exist. */
export function readDefaultRules(): unknown {
  return existsSync(DEFAULT_RULES_PATH) ? readRulesFile(DEFAULT_RULES_PATH) : undefined;
}
