import { beforeAll, describe, expect, it } from "vitest";
import { WEBHOOK_ROUTE } from "../../lambdas/contract.js";
import { type ProgramRun, runProgramForStack } from "./support/programRun.js";
import { API_ENDPOINT, computedOutputs } from "./support/recordingMocks.js";

/**
 * The dev stack with `ingress: httpApi` (the opt-in entrance: custom domain, stage throttling, an
 * access log at the edge), run as `pulumi up` loads the program. program.test.ts covers the
 * default, a function URL.
 */

const NS = "whatsable-replies";
let run: ProgramRun;

beforeAll(async () => {
  run = await runProgramForStack("dev", {
    [`${NS}:vendorToken`]: "token-dev",
    [`${NS}:ingress`]: "httpApi",
    [`${NS}:throttleRateLimit`]: "20",
  });
}, 120_000);

const ofType = (type: string) => run.registered.filter((r) => r.type === type);
function inputs(type: string, name: string): Record<string, unknown> {
  const found = run.registered.find((r) => r.type === type && r.name === name);
  if (!found) throw new Error(`${type} ${name} was not registered`);
  return found.inputs;
}

describe("Pulumi program (dev stack, ingress httpApi)", () => {
  it("routes POST /webhooks/whatsapp to the receiver with payload format 2.0", () => {
    expect(inputs("aws:apigatewayv2/api:Api", "ingress-api").protocolType).toBe("HTTP");
    expect(inputs("aws:apigatewayv2/route:Route", "ingress-route")).toMatchObject({
      routeKey: "POST /webhooks/whatsapp",
      target: "integrations/ingress-receiver-id",
    });
    expect(inputs("aws:apigatewayv2/integration:Integration", "ingress-receiver")).toMatchObject({
      integrationType: "AWS_PROXY",
      integrationUri: computedOutputs("aws:lambda/function:Function", "receiver", 0).arn,
      payloadFormatVersion: "2.0",
      timeoutMilliseconds: 10_000,
    });
  });

  it("deploys a $default stage throttled as configured (burst defaulted), with JSON access logs", () => {
    const stage = inputs("aws:apigatewayv2/stage:Stage", "ingress-stage");
    expect(stage).toMatchObject({
      name: "$default",
      autoDeploy: true,
      defaultRouteSettings: {
        throttlingRateLimit: 20,
        throttlingBurstLimit: 100,
        detailedMetricsEnabled: false,
      },
    });
    const logs = stage.accessLogSettings as { destinationArn: string; format: string };
    expect(logs.destinationArn).toBe(
      computedOutputs("aws:cloudwatch/logGroup:LogGroup", "ingress-access-logs", 0).arn,
    );
    expect(Object.keys(JSON.parse(logs.format))).toContain("status");
  });

  it("lets only this API's webhook route invoke the receiver; no function URL, no reservation", () => {
    expect(ofType("aws:lambda/permission:Permission").map((p) => p.inputs)).toEqual([
      {
        action: "lambda:InvokeFunction",
        function: "receiver",
        principal: "apigateway.amazonaws.com",
        sourceArn: `${computedOutputs("aws:apigatewayv2/api:Api", "ingress-api", 0).executionArn}/*/POST${WEBHOOK_ROUTE.path}`,
      },
    ]);
    expect(ofType("aws:lambda/functionUrl:FunctionUrl")).toEqual([]);
    expect(
      inputs("aws:lambda/function:Function", "receiver").reservedConcurrentExecutions,
    ).toBeUndefined();
  });

  it("registers the vendor webhook at the API's URL", () => {
    expect(inputs("pulumi-nodejs:dynamic/whatsable:VendorWebhook", "webhook-g1").url).toBe(
      `${API_ENDPOINT}${WEBHOOK_ROUTE.path}?g=1`,
    );
  });

  it("counts 401s, 400s and accepted deliveries from the access log", () => {
    for (const [metric, status] of [
      ["unauthorized", 401],
      ["badRequests", 400],
      ["accepted", 200],
    ] as const) {
      expect(
        inputs("aws:cloudwatch/logMetricFilter:LogMetricFilter", `alarms-${metric}`),
      ).toMatchObject({
        logGroupName: "ingress-access-logs",
        pattern: `{ $.status = "${status}" }`,
      });
    }
  });

  it("alarms on the stage's 5xx answers", () => {
    expect(inputs("aws:cloudwatch/metricAlarm:MetricAlarm", "alarms-api-5xx")).toMatchObject({
      namespace: "AWS/ApiGateway",
      metricName: "5xx",
      dimensions: { ApiId: "ingress-api-id", Stage: "$default" },
    });
  });
});
