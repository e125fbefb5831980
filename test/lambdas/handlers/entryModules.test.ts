import type { Context } from "aws-lambda";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ENV, FUNCTIONS, type FunctionName } from "../../../lambdas/contract.js";
import { createLambdaContext } from "../../../local/lambdaInvoke.js";
import { provisionForTest } from "../../support/localAws.js";

/**
 * The Lambda entry modules as Lambda loads them: process.env set first, then the module imported,
 * which runs its cold start (config, clients, the sender's token warm-up) at import time. Every
 * other test builds handlers through the same factories with an explicit environment; this one
 * keeps the three-line modules themselves honest.
 */

let env: Record<string, string>;

beforeAll(async () => {
  const resources = await provisionForTest();
  env = {
    ...resources.awsEnv,
    ...resources.env,
    // Never called here: the workers get no records.
    [ENV.vendorBaseUrl]: "http://127.0.0.1:9",
    [ENV.logLevel]: "SILENT",
  };
});

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

function stubEnv(values: Record<string, string>) {
  for (const [name, value] of Object.entries(values)) vi.stubEnv(name, value);
}

async function importHandler(fn: FunctionName) {
  const module = (await import(`../../../lambdas/handlers/${fn}.ts`)) as {
    handler: (event: unknown, context: Context) => Promise<unknown>;
  };
  return module.handler;
}

describe("Lambda entry modules", () => {
  it("the receiver module loads from process.env and answers requests", async () => {
    stubEnv(env);
    const handler = await importHandler(FUNCTIONS.receiver);
    const response = await handler(
      {
        version: "2.0",
        routeKey: "$default",
        rawPath: "/webhooks/whatsapp",
        headers: {},
        requestContext: { http: { method: "GET", path: "/webhooks/whatsapp" } },
        isBase64Encoded: false,
      },
      createLambdaContext(FUNCTIONS.receiver, 10_000),
    );
    expect(response).toMatchObject({ statusCode: 405, headers: { allow: "POST" } });
  });

  it.each([FUNCTIONS.responder, FUNCTIONS.sender])(
    "the %s module loads from process.env and answers an SQS batch",
    async (fn) => {
      stubEnv(env);
      const handler = await importHandler(fn);
      await expect(handler({ Records: [] }, createLambdaContext(fn, 10_000))).resolves.toEqual({
        batchItemFailures: [],
      });
    },
  );

  it.each(Object.values(FUNCTIONS))(
    "the %s module fails its cold start naming a missing variable",
    async (fn) => {
      stubEnv({ ...env, [ENV.repliesQueueUrl]: "", [ENV.jobsQueueUrl]: "" });
      await expect(importHandler(fn)).rejects.toMatchObject({
        name: "ConfigurationError",
        message: expect.stringMatching(/(REPLIES|JOBS)_QUEUE_URL is required/),
      });
    },
  );
});
