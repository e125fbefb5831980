import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { PIPELINE_TYPE } from "../../infra/components/WhatsAppReplyPipeline.js";
import { REPLY_SCHEDULER_ENV } from "../../lambdas/contract.js";
import { type GraphEntry, recordGraphForStack } from "./support/programRun.js";

/**
 * This repository's stacks register the same resources now that the program is one
 * WhatsAppReplyPipeline as they did before (fixtures/graph/<stack>.json was recorded from the
 * program as it was, by the same script, fixtures/recordGraph.ts).
 *
 * Allowed differences, and only these: the component itself is new, and the components that were
 * at the root are now its children (their parent, hence URNs; the URN of a child also names every
 * ancestor's type). So that `pulumi up` moves instead of replacing, each of those answers to its
 * former URN through an alias "no parent", and the engine derives the same for their children.
 * Every name, input, option and dependency is otherwise the same. The Lambda archives are compared
 * by their file names: their contents change with the Lambda code, which is not this test's
 * subject (when the component was made, the bundles' sha256 were equal too).
 *
 * When a later change alters the graph on purpose, re-record the fixtures from the program of
 * the commit before it (see fixtures/recordGraph.ts) so this keeps proving the move only.
 */

const STACKS = ["dev", "staging", "prod"] as const;
/** Under mocks a resource at the root of the stack has no parent URN. */
const ROOT = "";
const key = (r: Pick<GraphEntry, "type" | "name">) => `${r.type}::${r.name}`;
/** `urn:pulumi:<stack>::<project>::<type chain>::<name>` → `<last type>::<name>`. */
const keyOfUrn = (urn: string) => {
  const [, , , typeChain = "", name = ""] = urn.split("::");
  return `${typeChain.split("$").at(-1)}::${name}`;
};

/** What must not change: everything but URNs, with parents and dependencies as type::name. */
function comparable(r: GraphEntry, parentOf: (urn: string) => string) {
  return {
    type: r.type,
    name: r.name,
    parent: parentOf(r.parent),
    protect: r.protect,
    retainOnDelete: r.retainOnDelete,
    additionalSecretOutputs: r.additionalSecretOutputs,
    dependencies: r.dependencies.map(keyOfUrn).sort(),
    inputs: r.type === "aws:lambda/function:Function" ? withoutCodeHashes(r.inputs) : r.inputs,
  };
}

function withoutCodeHashes(inputs: Record<string, unknown>) {
  const code = inputs.code as { archive: Record<string, string> };
  return { ...inputs, code: Object.keys(code.archive) };
}

const graphs: Record<string, { before: GraphEntry[]; after: GraphEntry[] }> = {};

/**
 * What was added to the graph on purpose after the move, taken out of "after" so this keeps
 * proving the move only. Issue 23 (far replies through EventBridge Scheduler): the ReplySchedules
 * component and its children, the responder's four REPLY_SCHEDULE* variables and two grants, and
 * the scheduler DLQ's depth alarm (with its graph on a dashboard).
 */
const SCHEDULES_TYPE = "whatsable:schedules:ReplySchedules";
const SCHEDULE_GRANTS = new Set(["ScheduleFarReplies", "HandSchedulesTheirRole"]);
function withoutLaterAdditions(resources: GraphEntry[]): GraphEntry[] {
  return resources
    .filter((r) => !r.urn.includes(SCHEDULES_TYPE) && r.name !== "alarms-schedules-dlq-depth")
    .map((r) => {
      const inputs = { ...r.inputs };
      const env = (inputs.environment as { variables?: Record<string, unknown> } | undefined)
        ?.variables;
      if (r.type === "aws:lambda/function:Function" && env) {
        const variables = Object.fromEntries(
          Object.entries(env).filter(
            ([name]) => !(REPLY_SCHEDULER_ENV as readonly string[]).includes(name),
          ),
        );
        inputs.environment = { ...(inputs.environment as object), variables };
      }
      if (r.type === "aws:iam/rolePolicy:RolePolicy" && typeof inputs.policy === "string") {
        const policy = JSON.parse(inputs.policy) as { Statement: { Sid?: string }[] };
        policy.Statement = policy.Statement.filter((s) => !SCHEDULE_GRANTS.has(s.Sid ?? ""));
        inputs.policy = JSON.stringify(policy);
      }
      if (
        r.type === "aws:cloudwatch/dashboard:Dashboard" &&
        typeof inputs.dashboardBody === "string"
      ) {
        const body = JSON.parse(inputs.dashboardBody) as {
          widgets: { x: number; y: number; properties?: { title?: string } }[];
        };
        // The layout is two graphs a row in alarm order: lay out the rest as it was.
        body.widgets = body.widgets
          .filter((w) => !w.properties?.title?.includes("schedules"))
          .map((w, i) => ({ ...w, x: (i % 2) * 12, y: Math.floor(i / 2) * 6 }));
        inputs.dashboardBody = JSON.stringify(body);
      }
      return {
        ...r,
        inputs,
        dependencies: r.dependencies.filter((d) => !d.includes(SCHEDULES_TYPE)),
      };
    });
}

beforeAll(async () => {
  for (const stack of STACKS) {
    const before = JSON.parse(readFileSync(`test/infra/fixtures/graph/${stack}.json`, "utf8"))
      .resources as GraphEntry[];
    graphs[stack] = {
      before,
      after: withoutLaterAdditions((await recordGraphForStack(stack)).resources),
    };
  }
}, 300_000);

describe.each(STACKS)("the %s stack as one WhatsAppReplyPipeline", (stack) => {
  const graph = () => graphs[stack] as { before: GraphEntry[]; after: GraphEntry[] };
  const component = () => graph().after.filter((r) => r.type === PIPELINE_TYPE);

  it("adds exactly one resource: the component, at the root of the stack", () => {
    expect(component()).toHaveLength(1);
    expect(component()[0]?.parent).toBe(ROOT);
    expect(graph().after.map(key).sort()).toEqual(
      [...graph().before.map(key), ...component().map(key)].sort(),
    );
  });

  it("registers every former resource with the same name, inputs, options and dependencies", () => {
    const componentUrn = component()[0]?.urn ?? "";
    // Before: the root's children. After: the component's children. Both are "the top".
    const before = graph().before.map((r) =>
      comparable(r, (urn) => (urn === ROOT ? "top" : keyOfUrn(urn))),
    );
    const after = graph()
      .after.filter((r) => r.type !== PIPELINE_TYPE)
      .map((r) => comparable(r, (urn) => (urn === componentUrn ? "top" : keyOfUrn(urn))));
    const byKey = (a: { type: string; name: string }, b: { type: string; name: string }) =>
      key(a).localeCompare(key(b));
    expect(after.sort(byKey)).toEqual(before.sort(byKey));
  });

  it("lets each component that moved under the pipeline answer to its former URN", () => {
    const componentUrn = component()[0]?.urn;
    const moved = graph().after.filter((r) => r.parent === componentUrn);
    const formerTop = graph().before.filter((r) => r.parent === ROOT);
    expect(moved.map(key).sort()).toEqual(formerTop.map(key).sort());
    for (const r of moved) {
      // Alias "no parent", same name and type: the former URN `...::<type>::<name>`.
      expect(r.aliases, key(r)).toEqual([{ spec: expect.objectContaining({ noparent: true }) }]);
      const former = formerTop.find((f) => key(f) === key(r));
      expect(former?.urn).toBe(`urn:pulumi:${stack}::whatsable-replies::${r.type}::${r.name}`);
    }
  });
});
