import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { WEBHOOK_ROUTE } from "../../lambdas/contract.js";
import { type ProgramRun, runProgramForStack } from "./support/programRun.js";
import { FUNCTION_URL } from "./support/recordingMocks.js";

/**
 * The dev stack with `ingress: functionUrl` (the cost option: no API Gateway request charge), run
 * as `pulumi up` loads the program. program.test.ts covers the default, an HTTP API.
 */

const NS = "whatsable-replies";
const PERMISSION = "aws:lambda/permission:Permission";
/** The webhook URL on the function URL (Lambda gives the URL with a trailing slash). */
const ENDPOINT = `${FUNCTION_URL.replace(/\/$/, "")}${WEBHOOK_ROUTE.path}`;

/** What the AWS provider says it does for a NONE function URL: the NOTE of functionUrl.d.ts. */
const CONTRACT = readFileSync(
  "test/fixtures/contracts/pulumi-aws/function-url-permissions.md",
  "utf8",
);
const NOTE = /^> (\*\*NOTE:\*\* When \[`authorizationType` is `"NONE"`\].*)$/m.exec(CONTRACT)?.[1];

let run: ProgramRun;
let reserved: ProgramRun;

beforeAll(async () => {
  [run, reserved] = await Promise.all([
    runProgramForStack("dev", {
      [`${NS}:vendorToken`]: "token-dev",
      [`${NS}:ingress`]: "functionUrl",
    }),
    runProgramForStack("dev", {
      [`${NS}:vendorToken`]: "token-dev",
      [`${NS}:ingress`]: "functionUrl",
      [`${NS}:receiverReservedConcurrency`]: "5",
    }),
  ]);
}, 180_000);

const ofType = (r: ProgramRun, type: string) => r.registered.filter((x) => x.type === type);
function inputs(type: string, name: string, r = run): Record<string, unknown> {
  const found = r.registered.find((x) => x.type === type && x.name === name);
  if (!found) throw new Error(`${type} ${name} was not registered`);
  return found.inputs;
}

describe("Pulumi program (dev stack, ingress functionUrl)", () => {
  it("puts a public, buffered function URL on the receiver and registers the vendor there", () => {
    expect(inputs("aws:lambda/functionUrl:FunctionUrl", "ingress-url")).toEqual({
      functionName: "receiver",
      authorizationType: "NONE",
      invokeMode: "BUFFERED",
    });
    expect(inputs("pulumi-nodejs:dynamic/whatsable:VendorWebhook", "webhook-g1").url).toBe(
      `${ENDPOINT}?g=1`,
    );
  });

  it("keeps the provider's note on the permissions it adds, as the installed package says it", () => {
    const installed = readFileSync("node_modules/@pulumi/aws/lambda/functionUrl.d.ts", "utf8");
    expect(NOTE).toBeDefined();
    expect(installed).toContain(NOTE);
  });

  it("declares none of the two public statements the provider adds itself (no duplicates)", () => {
    // The provider adds lambda:InvokeFunctionUrl and lambda:InvokeFunction (InvokedViaFunctionUrl).
    expect(NOTE).toMatch(/`lambda:InvokeFunctionUrl` permission/);
    expect(NOTE).toMatch(
      /`lambda:InvokeFunction` permission with the `InvokedViaFunctionUrl` flag/,
    );
    const duplicates = ofType(run, PERMISSION).filter(
      (p) =>
        p.inputs.action === "lambda:InvokeFunctionUrl" ||
        (p.inputs.action === "lambda:InvokeFunction" && p.inputs.invokedViaFunctionUrl === true),
    );
    expect(duplicates.map((p) => p.name)).toEqual([]);
    expect(ofType(run, PERMISSION)).toEqual([]);
  });

  it("reserves no concurrency unless the stack asks, then exactly that", () => {
    expect(
      inputs("aws:lambda/function:Function", "receiver").reservedConcurrentExecutions,
    ).toBeUndefined();
    expect(
      inputs("aws:lambda/function:Function", "receiver", reserved).reservedConcurrentExecutions,
    ).toBe(5);
  });

  it("creates no API Gateway resources and no access log", () => {
    expect(run.registered.filter((r) => r.type.startsWith("aws:apigatewayv2"))).toEqual([]);
    expect(ofType(run, "aws:cloudwatch/logGroup:LogGroup").map((g) => g.name)).not.toContain(
      "ingress-access-logs",
    );
  });

  it("alarms on Lambda's Url5xxCount of the receiver, not on API Gateway's 5xx", () => {
    expect(inputs("aws:cloudwatch/metricAlarm:MetricAlarm", "alarms-api-5xx")).toMatchObject({
      namespace: "AWS/Lambda",
      metricName: "Url5xxCount",
      dimensions: { FunctionName: "receiver" },
    });
  });

  it("counts 401s, 400s and accepted deliveries from the receiver's webhook lines", () => {
    for (const [metric, status] of [
      ["unauthorized", 401],
      ["badRequests", 400],
      ["accepted", 200],
    ] as const) {
      expect(
        inputs("aws:cloudwatch/logMetricFilter:LogMetricFilter", `alarms-${metric}`),
      ).toMatchObject({
        logGroupName: "receiver-logs",
        pattern: `{ $.message = "webhook" && $.status = ${status} }`,
      });
    }
  });
});
