import { randomUUID } from "node:crypto";
import type { Context } from "aws-lambda";
import { errorFields } from "../lambdas/core/errors.js";

/**
 * What the local stack needs to call a Lambda handler in-process the way the Lambda runtime
 * does: a Context whose remaining time counts down, and a timeout that abandons the invocation.
 */

const REGION = "us-east-1";
const ACCOUNT = "000000000000";

/** A Lambda Context for one invocation that times out `timeoutMs` after it is created. */
export function createLambdaContext(functionName: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  const unsupported = () => {
    throw new Error("the local stack supports async handlers only (no done/fail/succeed)");
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: "256",
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${randomUUID().replaceAll("-", "")}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

/** How an invocation ended. */
export type InvocationOutcome<T> =
  | { kind: "returned"; value: T }
  | { kind: "threw"; error: unknown }
  | { kind: "timed-out" };

/**
 * Runs one invocation and settles when it returns, throws or runs past `timeoutMs`. As on
 * Lambda, a timed-out invocation's result is discarded; unlike Lambda, its code cannot be frozen,
 * so it may keep running in the background until it finishes on its own.
 */
export async function invokeWithTimeout<T>(
  run: () => Promise<T>,
  timeoutMs: number,
): Promise<InvocationOutcome<T>> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<InvocationOutcome<T>>((resolve) => {
    timer = setTimeout(() => resolve({ kind: "timed-out" }), timeoutMs);
  });
  const settled = (async (): Promise<InvocationOutcome<T>> => {
    try {
      return { kind: "returned", value: await run() };
    } catch (error) {
      return { kind: "threw", error };
    }
  })();
  try {
    return await Promise.race([settled, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** A one-line description of a thrown value for local logs: the handlers' errorFields, as text. */
export function describeError(error: unknown): string {
  const { errorName, errorMessage, errorCause } = errorFields(error);
  return `${errorName}: ${errorMessage}${errorCause ? ` (cause: ${errorCause})` : ""}`;
}
