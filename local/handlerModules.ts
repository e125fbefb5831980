import { existsSync } from "node:fs";
import { relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyResultV2,
  Context,
  SQSBatchResponse,
  SQSEvent,
} from "aws-lambda";
import { ENV, type FunctionName } from "../lambdas/contract.js";

/**
 * Finding and loading the Lambda handler modules in-process, the way the Lambda runtime loads a
 * function: after its environment exists, once per (local) function instance.
 */

/** The receiver's handler: an HTTP API (payload v2) event in, a response out. */
export type ApiHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyResultV2>;

/** A worker's handler: an SQS batch in, the failed records out. */
// biome-ignore lint/suspicious/noConfusingVoidType: handlers typed Promise<void> must fit too
export type QueueHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void>;

/** A handler module that cannot be used; names the function and the file. */
export class HandlerModuleError extends Error {
  override name = "HandlerModuleError";
}

const HANDLERS_DIR = new URL("../lambdas/handlers/", import.meta.url);
const REPO_ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The source file of a handler (.ts under tsx/vitest; .js if someone compiled in place). */
export function handlerFile(fn: FunctionName): string {
  const candidates = [`${fn}.ts`, `${fn}.js`].map((f) => fileURLToPath(new URL(f, HANDLERS_DIR)));
  const found = candidates.find((file) => existsSync(file));
  if (!found) {
    const expected = relative(REPO_ROOT, candidates[0] as string);
    throw new HandlerModuleError(
      `the ${fn} handler is missing: expected ${expected} exporting "handler"`,
    );
  }
  return found;
}

/** Whether a handler module exists yet (the workers landed after the receiver). */
export function handlerExists(fn: FunctionName): boolean {
  try {
    handlerFile(fn);
    return true;
  } catch {
    return false;
  }
}

let importGeneration = 0;

/** Makes the next importHandler calls load fresh module instances (new env, new clients). */
export function nextHandlerGeneration(): void {
  importGeneration += 1;
}

/**
 * Imports a handler module after process.env is set, as the Lambda runtime loads it after the
 * function's environment exists. POWERTOOLS_SERVICE_NAME is set to the function's name while its
 * module initialises, so each module-scope logger carries its own service name although the three
 * functions share one process. The query string (see nextHandlerGeneration) makes a later stack
 * in the same process load fresh modules instead of the cached ones.
 */
export async function importHandler<T>(fn: FunctionName, file: string): Promise<T> {
  process.env[ENV.serviceName] = fn;
  const url = `${pathToFileURL(file).href}?stack=${importGeneration}`;
  let module: { handler?: unknown };
  try {
    module = (await import(url)) as { handler?: unknown };
  } catch (error) {
    throw new HandlerModuleError(
      `the ${fn} handler failed to load (${relative(REPO_ROOT, file)}): ${(error as Error).message}`,
    );
  }
  if (typeof module.handler !== "function") {
    throw new HandlerModuleError(
      `${relative(REPO_ROOT, file)} does not export a "handler" function`,
    );
  }
  return module.handler as T;
}
