import { readFileSync } from "node:fs";
import path from "node:path";
import { ENV } from "../contract.js";
import { ConfigurationError, ReplyRulesError } from "../core/errors.js";
import { parseReplyRules, type ReplyRule } from "../core/replyRules.js";
import { intEnv, optionalEnv } from "./lambda.js";

type Source = Record<string, string | undefined>;

/**
 * The responder's reply rules, read once at cold start: from the file REPLY_RULES_FILE names
 * (deployed stacks: rules.json beside index.mjs, put there by infra) or inline from REPLY_RULES
 * (local stack, tests), validated against WAITING_DURATION_SECONDS with the same validator
 * preview uses. Neither set: no rules, no replies. A problem is a ConfigurationError naming the
 * variable, the file and every bad rule field, so the function fails at init, not per job.
 *
 * @param baseDir where a relative REPLY_RULES_FILE is read from (the handler's own directory).
 */
export function readReplyRules(
  baseDir: string,
  env: Source = process.env,
): { rules: ReplyRule[]; origin: string; waitingDurationSeconds?: number } {
  const waitingDuration = optionalEnv(ENV.waitingDurationSeconds, "", env);
  const waitingDurationSeconds =
    waitingDuration === ""
      ? undefined
      : intEnv(ENV.waitingDurationSeconds, 0, { min: 0, max: 5_184_000 }, env);
  const file = optionalEnv(ENV.replyRulesFile, "", env).trim();
  const inline = optionalEnv(ENV.replyRules, "", env);
  if (file && inline.trim()) {
    throw new ConfigurationError(
      `environment variables ${ENV.replyRulesFile} and ${ENV.replyRules} are both set; set one`,
    );
  }
  let json = inline || "[]";
  let origin = inline ? ENV.replyRules : "none";
  if (file) {
    const resolved = path.resolve(baseDir, file);
    origin = `${ENV.replyRulesFile} (${resolved})`;
    try {
      json = readFileSync(resolved, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new ConfigurationError(
        `environment variable ${origin}: ${code === "ENOENT" ? "file not found" : (error as Error).message}`,
        { cause: error },
      );
    }
  }
  try {
    return {
      rules: parseReplyRules(json, { waitingDurationSeconds }),
      origin,
      waitingDurationSeconds,
    };
  } catch (error) {
    if (error instanceof ReplyRulesError) {
      throw new ConfigurationError(`environment variable ${origin}: ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
}
