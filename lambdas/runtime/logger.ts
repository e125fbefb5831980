import { Logger as PowertoolsLogger } from "@aws-lambda-powertools/logger";
import type { Logger } from "../core/ports.js";

/**
 * One Powertools JSON logger per function. Level and service come from the standard
 * POWERTOOLS_LOG_LEVEL / POWERTOOLS_SERVICE_NAME variables. Callers log ids, hashes and masked
 * phone numbers only (see core/redact.ts), never secrets, tokens, bodies or full numbers.
 */
export function createLogger(serviceName: string): PowertoolsLogger {
  return new PowertoolsLogger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME || serviceName });
}

/** Adapts a Powertools logger to the core's Logger port (which passes `extra` optionally). */
export function asPortLogger(powertools: PowertoolsLogger): Logger {
  return {
    debug: (message, extra) => powertools.debug(message, extra ?? {}),
    info: (message, extra) => powertools.info(message, extra ?? {}),
    warn: (message, extra) => powertools.warn(message, extra ?? {}),
    error: (message, extra) => powertools.error(message, extra ?? {}),
  };
}
