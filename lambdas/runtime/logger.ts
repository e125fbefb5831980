import { Logger } from "@aws-lambda-powertools/logger";

/**
 * One Powertools JSON logger per function. Level and service come from the standard
 * POWERTOOLS_LOG_LEVEL / POWERTOOLS_SERVICE_NAME variables. Callers log ids, hashes and masked
 * phone numbers only (see core/redact.ts), never secrets, tokens, bodies or full numbers.
 */
export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME || serviceName });
}
