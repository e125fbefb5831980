import { describe, expect, it } from "vitest";
import {
  alarmSpecs,
  LOG_METRICS,
  logMetricFilters,
  requestLogPattern,
} from "../../../infra/components/PipelineAlarms.js";
import { ACCESS_LOG_FORMAT } from "../../../infra/components/WebhookIngress.js";
import { deliverReply } from "../../../lambdas/core/deliverReply.js";
import { matchesFilter } from "../../support/metricFilter.js";
import { memoryDeliveryDeps } from "../../support/replyFakes.js";
import { aReply } from "../../support/replyFixtures.js";

/**
 * The metric filters count log lines the code really writes. These tests produce the line and
 * apply the filter as CloudWatch does (test/support/metricFilter.ts), so a reworded log message
 * or access log breaks them here, not silently in production. The receiver's own lines, the
 * request log behind a function URL, are checked against its real output in
 * test/lambdas/functions/receiver.test.ts.
 */

const HTTP_API = { kind: "httpApi", apiId: "api-1", accessLogGroupName: "access" } as const;
const FUNCTION_URL = {
  kind: "functionUrl",
  functionName: "receiver-fn",
  receiverLogGroupName: "receiver-logs",
} as const;

describe("log metric filters", () => {
  it("count the sender's line for a reply the vendor refuses", async () => {
    const lines: Record<string, unknown>[] = [];
    const deps = memoryDeliveryDeps({}, 0);
    const capture = (message: string, fields?: Record<string, unknown>) =>
      lines.push({ message, ...fields });
    deps.logger = { debug: capture, info: capture, warn: capture, error: capture };
    deps.vendor.answer({
      kind: "permanent",
      code: "invalid-number",
      reason: "Invalid number",
      status: 400,
    });
    await deliverReply(aReply({ dueAt: 0 }), { receiveCount: 1 }, deps);
    expect(lines.filter((l) => matchesFilter(LOG_METRICS.vendorRefusals.pattern, l))).toHaveLength(
      1,
    );
  });

  it("count access log lines by status, as API Gateway fills the format", () => {
    const line = (status: number) =>
      JSON.parse(ACCESS_LOG_FORMAT.replace("$context.status", String(status)));
    const pattern = (status: number) => requestLogPattern("httpApi", status);
    expect(matchesFilter(pattern(LOG_METRICS.unauthorized.status), line(401))).toBe(true);
    expect(matchesFilter(pattern(LOG_METRICS.unauthorized.status), line(400))).toBe(false);
    expect(matchesFilter(pattern(LOG_METRICS.badRequests.status), line(400))).toBe(true);
    expect(matchesFilter(pattern(LOG_METRICS.accepted.status), line(200))).toBe(true);
  });

  it("read the access log with an HTTP API and the receiver's log with a function URL", () => {
    const groups = (ingress: typeof HTTP_API | typeof FUNCTION_URL) =>
      Object.fromEntries(
        logMetricFilters(ingress, "sender-logs").map((f) => [f.metric, f.logGroupName]),
      );
    expect(groups(HTTP_API)).toEqual({
      unauthorized: "access",
      badRequests: "access",
      accepted: "access",
      vendorRefusals: "sender-logs",
    });
    expect(groups(FUNCTION_URL)).toEqual({
      unauthorized: "receiver-logs",
      badRequests: "receiver-logs",
      accepted: "receiver-logs",
      vendorRefusals: "sender-logs",
    });
  });
});

describe("the entrance's 5xx alarm", () => {
  const specOf = (ingress: typeof HTTP_API | typeof FUNCTION_URL) =>
    alarmSpecs({
      deadLetterQueues: {},
      workQueues: {},
      functions: {},
      ingress,
      region: "eu-west-1",
    }).find((s) => s.key === "api-5xx");

  it("watches the HTTP API stage's 5xx", () => {
    expect(specOf(HTTP_API)).toMatchObject({
      namespace: "AWS/ApiGateway",
      metricName: "5xx",
      dimensions: { ApiId: "api-1", Stage: "$default" },
      statistic: "Sum",
    });
  });

  it("watches the function URL's Url5xxCount on the receiver", () => {
    expect(specOf(FUNCTION_URL)).toMatchObject({
      namespace: "AWS/Lambda",
      metricName: "Url5xxCount",
      dimensions: { FunctionName: "receiver-fn" },
      statistic: "Sum",
      threshold: 0,
    });
  });

  it("keeps one alarm key for both, so switching ingress updates the alarm in place", () => {
    const keys = (ingress: typeof HTTP_API | typeof FUNCTION_URL) =>
      alarmSpecs({
        deadLetterQueues: { jobs: "d" },
        workQueues: {},
        functions: { receiver: "r" },
        ingress,
        region: "eu-west-1",
      }).map((s) => s.key);
    expect(keys(FUNCTION_URL)).toEqual(keys(HTTP_API));
  });
});
