import { readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { WEBHOOK_ROUTE } from "../../lambdas/contract.js";
import { plain, ResourceGraph } from "./support/graph.js";
import {
  API_ENDPOINT,
  fakeSigningSecret,
  recordingMocks,
  unwrap,
} from "./support/recordingMocks.js";
import { FILLED_IN, stackFileConfig } from "./support/stackFiles.js";

/** The webhook URL on prod's HTTP API. */
const ENDPOINT = `${API_ENDPOINT}${WEBHOOK_ROUTE.path}`;

// Bundling is stubbed here (programEsm.test.ts runs the program with the real bundles).
vi.mock("../../infra/lambdaBundle.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("../../infra/lambdaBundle.js")>();
  const { asset } = await import("@pulumi/pulumi");
  return {
    ...original,
    lambdaArchive: (fn: string) =>
      new asset.AssetArchive({ "index.mjs": new asset.StringAsset(`// bundle of ${fn}`) }),
  };
});

const NS = "whatsable-replies";
const webhook = "pulumi-nodejs:dynamic/whatsable:VendorWebhook";

let graph: ResourceGraph;
let program: typeof import("../../infra/index.js");

// Pulumi.prod.yaml in the middle of a signing-secret rotation (docs/operations.md, step 1):
// generation 2 registered but not yet enabled, generation 1 still live.
beforeAll(async () => {
  const recorded = await recordingMocks({
    project: NS,
    stack: "prod",
    config: {
      ...stackFileConfig("prod", { filledIn: true }),
      [`${NS}:webhookGenerations`]: JSON.stringify([
        { generation: 1, enabled: true },
        { generation: 2, enabled: false },
      ]),
      [`${NS}:vendorToken`]: "prod-vendor-token",
    },
    secretKeys: [`${NS}:vendorToken`],
  });
  program = await import("../../infra/index.js");
  await unwrap(program.endpointUrl);
  await pulumi.runtime.disconnect();
  graph = new ResourceGraph(recorded);
}, 60_000);

describe("Pulumi program (prod stack, rotation in progress)", () => {
  describe("protection", () => {
    it("protects the tables, keeps them on delete and turns on deletion protection", () => {
      const tables = graph.ofType("aws:dynamodb/table:Table");
      expect(tables).toHaveLength(1);
      for (const table of tables) {
        expect(table).toMatchObject({ protect: true, retainOnDelete: true });
        expect(plain(table.inputs.deletionProtectionEnabled)).toBe(true);
      }
    });

    it("protects the two secrets but not their versions, which every change replaces", () => {
      for (const secret of graph.ofType("aws:secretsmanager/secret:Secret")) {
        expect(secret).toMatchObject({ protect: true, retainOnDelete: true });
        expect(plain(secret.inputs.recoveryWindowInDays)).toBe(30);
      }
      for (const version of graph.ofType("aws:secretsmanager/secretVersion:SecretVersion")) {
        expect(version.protect).toBe(false);
      }
    });

    it("leaves the webhook registrations deletable, so rotation can retire one", () => {
      for (const registration of graph.ofType(webhook)) expect(registration.protect).toBe(false);
    });
  });

  it("throttles at the HTTP API's stage and reserves no Lambda concurrency (a new account has none to reserve)", () => {
    expect(graph.inputs("aws:apigatewayv2/stage:Stage", "ingress-stage")).toMatchObject({
      defaultRouteSettings: { throttlingRateLimit: 50, throttlingBurstLimit: 100 },
    });
    for (const fn of graph.ofType("aws:lambda/function:Function")) {
      expect(fn.inputs.reservedConcurrentExecutions, fn.name).toBeUndefined();
    }
  });

  describe("signing-secret rotation", () => {
    it("registers each generation at its own URL", () => {
      expect(graph.inputs(webhook, "webhook-g1")).toMatchObject({
        url: `${ENDPOINT}?g=1`,
        enabled: true,
      });
      expect(graph.inputs(webhook, "webhook-g2")).toMatchObject({
        url: `${ENDPOINT}?g=2`,
        enabled: false,
      });
    });

    it("orders the older generation after the newer one", () => {
      const g1 = graph.one(webhook, "webhook-g1");
      const g2 = graph.one(webhook, "webhook-g2");
      expect(g1.dependencies).toContain(g2.urn);
      expect(g2.dependencies).not.toContain(g1.urn);
    });

    it("keeps both generations' secrets live for the receiver, the enabled one current", () => {
      const version = graph.inputs(
        "aws:secretsmanager/secretVersion:SecretVersion",
        "webhook-signing-secret",
      );
      expect(JSON.parse(version.secretString as string)).toEqual({
        current: fakeSigningSecret("webhook-g1"),
        previous: [fakeSigningSecret("webhook-g2")],
      });
    });

    it("exports the id of every generation", async () => {
      const ids = await unwrap(program.webhookIds);
      expect(Object.keys(ids).sort()).toEqual(["1", "2"]);
    });
  });

  it("registers with schedule activity and gives the responder the same window", () => {
    expect(graph.inputs(webhook, "webhook-g1")).toMatchObject({
      scheduleActivity: true,
      waitingDurationSeconds: 86400,
    });
    const env = (
      graph.inputs("aws:lambda/function:Function", "responder").environment as {
        variables: Record<string, string>;
      }
    ).variables;
    expect(env.WAITING_DURATION_SECONDS).toBe("86400");
  });

  it("keeps logs for 90 days", () => {
    for (const group of graph.ofType("aws:cloudwatch/logGroup:LogGroup")) {
      expect(plain(group.inputs.retentionInDays)).toBe(90);
    }
  });

  it("has a runbook line for every alarm (docs/operations.md#alarm-runbook)", () => {
    const doc = readFileSync("docs/operations.md", "utf8");
    const runbook = doc.slice(doc.indexOf("## Alarm runbook"), doc.indexOf("## Tear down"));
    const rows = runbook.split("\n").filter((line) => line.startsWith("| `alarms-"));
    const missing = graph
      .ofType("aws:cloudwatch/metricAlarm:MetricAlarm")
      .map((alarm) => alarm.name)
      .filter(
        (name) =>
          !rows.some((row) =>
            [...row.matchAll(/`(alarms-[^`]+)`/g)].some(([, n]) =>
              new RegExp(`^${n?.replace("<fn>", "(receiver|responder|sender)")}$`).test(name),
            ),
          ),
      );
    expect(missing).toEqual([]);
  });

  it("alarms when prod goes quiet for the hours Pulumi.prod.yaml sets", () => {
    expect(
      plain(graph.inputs("aws:cloudwatch/metricAlarm:MetricAlarm", "alarms-quiet")),
    ).toMatchObject({
      metricName: "accepted",
      period: 3600,
      evaluationPeriods: 6,
      threshold: 1,
      comparisonOperator: "LessThanThreshold",
      treatMissingData: "breaching",
    });
  });

  it("creates the dashboard and mails alarms to the configured address", () => {
    expect(
      graph.inputs("aws:cloudwatch/dashboard:Dashboard", "alarms-dashboard").dashboardName,
    ).toBe("whatsable-replies-prod");
    expect(
      graph.inputs("aws:sns/topicSubscription:TopicSubscription", "alarms-email"),
    ).toMatchObject({
      protocol: "email",
      endpoint: FILLED_IN.prod?.[`${NS}:alarmEmail`],
    });
  });
});
