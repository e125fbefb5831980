import { createHash } from "node:crypto";

/**
 * The error and log vocabulary of the Lambda code: every error it raises on purpose, and the one
 * way an error or a phone number becomes a log field. Messages name fields and reasons only:
 * never a secret, a signature header value, a body or a full phone number.
 *
 * Errors are for what cannot go on (bad input, bad configuration, a broken deployment). "Come back
 * later" (a busy claim, a reply not due yet, a vendor asking to retry) is a returned result of the
 * use case, never an exception.
 */

/** Base of every error this package raises; `cause` keeps the error underneath, for the logs. */
export class DomainError extends Error {
  override name = "DomainError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Why a request body was refused: "malformed_json" (not JSON at all) or "invalid_payload". */
export type PayloadErrorCode = "malformed_json" | "invalid_payload";

/** The body is not a usable webhook; `field` names the offending field (dotted path, "body" for the whole). */
export class PayloadError extends DomainError {
  override name = "PayloadError";

  constructor(
    readonly field: string,
    message: string,
    readonly code: PayloadErrorCode = "invalid_payload",
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The signing-secret document in Secrets Manager is unusable (a deployment fault, not the caller's). */
export class SigningSecretError extends DomainError {
  override name = "SigningSecretError";
}

/** Thrown at cold start when the environment is incomplete or malformed: fail fast, name the variable. */
export class ConfigurationError extends DomainError {
  override name = "ConfigurationError";
}

/** A queue message body that is not the expected shape; the message names the field. */
export class InvalidQueueMessageError extends DomainError {
  override name = "InvalidQueueMessageError";
}

/** One problem found in a rules document or a policy answer. */
export interface RuleProblem {
  /** Index of the offending rule, when the problem is inside one. */
  ruleIndex?: number;
  /** The rule's `name`, when it has one. */
  ruleName?: string;
  /** Path of the offending field inside the rule, e.g. "messages[1].delay". */
  field?: string;
  /** What is wrong, e.g. "must not be negative". */
  problem: string;
}

/** 'reply rule 3 ("pricing"): messages[0].attachement is not a field …' */
export function describeProblem(p: RuleProblem): string {
  const rule =
    p.ruleIndex === undefined
      ? ""
      : `reply rule ${p.ruleIndex}${p.ruleName ? ` (${JSON.stringify(p.ruleName)})` : ""}: `;
  return `${rule}${p.field ? `${p.field} ` : ""}${p.problem}`;
}

/** A rules document that cannot be used; the message lists every problem, naming rule and field. */
export class ReplyRulesError extends DomainError {
  override name = "ReplyRulesError";
  /** Index of the first offending rule, when the problem is inside one. */
  readonly ruleIndex?: number;
  /** Field of the first problem, e.g. "messages[1].delay". */
  readonly field?: string;

  constructor(
    readonly problems: readonly RuleProblem[],
    options?: { cause?: unknown },
  ) {
    super(problems.map(describeProblem).join("; "), options);
    this.ruleIndex = problems[0]?.ruleIndex;
    this.field = problems[0]?.field;
  }
}

/** A policy answered with a plan that cannot be scheduled (a bug in a custom policy). */
export class ReplyPlanError extends DomainError {
  override name = "ReplyPlanError";
}

/** An error as log fields: name, message and its causes; never a stack (stacks can carry data). */
export type ErrorFields = {
  errorName: string;
  errorMessage: string;
  /** "Name: message" of each cause, outermost first, joined with " ← ". */
  errorCause?: string;
};

const MAX_CAUSES = 5;

/** The one way every handler and the local stack turn an error into log fields. */
export function errorFields(error: unknown): ErrorFields {
  const fields: ErrorFields =
    error instanceof Error
      ? { errorName: error.name, errorMessage: loggableMessage(error) }
      : { errorName: "NonError", errorMessage: String(error) };
  const causes: string[] = [];
  let cause = error instanceof Error ? error.cause : undefined;
  while (cause !== undefined && causes.length < MAX_CAUSES) {
    causes.push(
      cause instanceof Error ? `${cause.name}: ${loggableMessage(cause)}` : String(cause),
    );
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  if (causes.length) fields.errorCause = causes.join(" ← ");
  return fields;
}

/**
 * An error's message fit for a log. A SyntaxError is JSON.parse's, and V8 quotes the input in it
 * (`Unexpected token 'h', "hello +491"... is not valid JSON`): a webhook or job body, with a
 * phone number and a customer's text. Only where it failed is kept.
 */
function loggableMessage(error: Error): string {
  return error instanceof SyntaxError ? `not valid JSON${jsonErrorPosition(error)}` : error.message;
}

/** " (at position N)" from JSON.parse's error, or "": the part of its message a log may keep. */
export function jsonErrorPosition(error: unknown): string {
  const position = error instanceof Error ? /at position \d+/.exec(error.message)?.[0] : undefined;
  return position ? ` (${position})` : "";
}

/**
 * What a log may say about a body it must not quote (a remote answer, a payload): its size and a
 * SHA-256 prefix, enough to tell two answers apart or match one the endpoint's own logs kept.
 */
export function describeBody(body: string | Uint8Array): string {
  const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
  const digest = createHash("sha256").update(bytes).digest("hex").slice(0, 16);
  return `${bytes.byteLength} bytes, sha256 ${digest}`;
}
