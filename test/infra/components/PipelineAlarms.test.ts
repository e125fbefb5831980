import { describe, expect, it } from "vitest";
import { LOG_METRICS } from "../../../infra/components/PipelineAlarms.js";
import { ACCESS_LOG_FORMAT } from "../../../infra/components/WebhookIngress.js";
import { deliverReply } from "../../../lambdas/core/deliverReply.js";
import { memoryDeliveryDeps } from "../../support/replyFakes.js";
import { aReply } from "../../support/replyFixtures.js";

/**
 * The metric filters count log lines the code really writes. CloudWatch's JSON filter
 * `{ $.field = "value" }` matches a line whose field equals the value; these tests produce the line
 * and apply the filter the same way, so a reworded log message or access log breaks them here,
 * not silently in production.
 */
function matches(pattern: string, line: Record<string, unknown>): boolean {
  const parsed = /^\{ \$\.(\w+) = "([^"]*)" \}$/.exec(pattern);
  if (!parsed) throw new Error(`unsupported filter ${pattern}`);
  return String(line[parsed[1] as string]) === parsed[2];
}

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
    expect(lines.filter((l) => matches(LOG_METRICS.vendorRefusals.pattern, l))).toHaveLength(1);
  });

  it("count access log lines by status, as API Gateway fills the format", () => {
    const line = (status: number) =>
      JSON.parse(ACCESS_LOG_FORMAT.replace("$context.status", String(status)));
    expect(matches(LOG_METRICS.unauthorized.pattern, line(401))).toBe(true);
    expect(matches(LOG_METRICS.unauthorized.pattern, line(400))).toBe(false);
    expect(matches(LOG_METRICS.badRequests.pattern, line(400))).toBe(true);
    expect(matches(LOG_METRICS.accepted.pattern, line(200))).toBe(true);
  });
});
