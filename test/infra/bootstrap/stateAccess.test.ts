import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { deployPolicy, PROJECT, previewPolicy } from "../../../infra/bootstrap/policies.js";
import { decide } from "../support/iamSimulate.js";

/**
 * The state bucket as Pulumi's self-managed backend uses it, key by key: the layout comes from the
 * backend's source (test/fixtures/contracts/pulumi-diy-backend/layout.json), and IAM simulation
 * (@cloud-copilot/iam-simulate) decides each request as S3 would.
 */

interface Layout {
  meta: string;
  projectMode: Record<string, string[]>;
  legacyMode: Record<string, string[]>;
}
const layout = JSON.parse(
  readFileSync("test/fixtures/contracts/pulumi-diy-backend/layout.json", "utf8"),
) as Layout;

const ACCOUNT = "123456789012";
const BUCKET = "acme-state";
const scope = (stack: string) => ({
  partition: "aws",
  region: "eu-west-1",
  account: ACCOUNT,
  stateBucket: BUCKET,
  stack,
});
/** The layout's templates for one stack, as object ARNs. */
function keys(templates: Record<string, string[]>, stack: string, project = PROJECT) {
  return Object.entries(templates).flatMap(([kind, list]) =>
    list.map((template) => ({
      kind,
      arn: `arn:aws:s3:::${BUCKET}/${template
        .replaceAll("{project}", project)
        .replaceAll("{stack}", stack)
        .replaceAll("{unixnano}", "1765065600000000000")
        .replaceAll("{uuid}", "0b3c6f2e-8f4e-4a57-9d0e-3f1b2c4d5e6f")
        .replaceAll("{seq}", "0000000042")}`,
    })),
  );
}
const object = (key: string) => `arn:aws:s3:::${BUCKET}/${key}`;
const STACKS = ["dev", "staging", "prod"] as const;

describe("state bucket access (Pulumi's DIY key layout, IAM simulation)", () => {
  it.each(STACKS)(
    "lets %s's deploy role read, write and delete every key of its stack, locks included",
    async (stack) => {
      const refused: string[] = [];
      for (const { kind, arn } of keys(layout.projectMode, stack)) {
        for (const action of ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]) {
          if ((await decide(deployPolicy(scope(stack)), action, arn, ACCOUNT)) !== "Allowed") {
            refused.push(`${kind} ${action} ${arn}`);
          }
        }
      }
      expect(refused).toEqual([]);
    },
  );

  it("takes the lock of `up` where the backend puts it (organization/<project>/<stack>)", async () => {
    const lock = object(
      `.pulumi/locks/organization/${PROJECT}/prod/0b3c6f2e-8f4e-4a57-9d0e-3f1b2c4d5e6f.json`,
    );
    expect(await decide(deployPolicy(scope("prod")), "s3:PutObject", lock, ACCOUNT)).toBe(
      "Allowed",
    );
  });

  it.each(STACKS)(
    "lets %s's preview role read its stack's state and write nothing",
    async (stack) => {
      const wrong: string[] = [];
      for (const { kind, arn } of keys(layout.projectMode, stack)) {
        if ((await decide(previewPolicy(scope(stack)), "s3:GetObject", arn, ACCOUNT)) !== "Allowed")
          wrong.push(`${kind} cannot read ${arn}`);
        for (const action of ["s3:PutObject", "s3:DeleteObject"]) {
          if ((await decide(previewPolicy(scope(stack)), action, arn, ACCOUNT)) === "Allowed")
            wrong.push(`${kind} may ${action} ${arn}`);
        }
      }
      expect(wrong).toEqual([]);
    },
  );

  it("keeps each stack's roles out of every other stack's keys, and out of other projects", async () => {
    const reached: string[] = [];
    const others = [
      ...keys(layout.projectMode, "prod"),
      ...keys(layout.projectMode, "dev2"),
      ...keys(layout.projectMode, "dev", "other-project"),
    ];
    for (const policy of [deployPolicy(scope("dev")), previewPolicy(scope("dev"))]) {
      for (const { arn } of others) {
        for (const action of ["s3:GetObject", "s3:PutObject"]) {
          if ((await decide(policy, action, arn, ACCOUNT)) === "Allowed")
            reached.push(`${action} ${arn}`);
        }
      }
    }
    expect(reached).toEqual([]);
  });

  it("only reads the layout marker, which the bootstrap writes", async () => {
    for (const policy of [deployPolicy(scope("dev")), previewPolicy(scope("dev"))]) {
      expect(await decide(policy, "s3:GetObject", object(layout.meta), ACCOUNT)).toBe("Allowed");
      expect(await decide(policy, "s3:PutObject", object(layout.meta), ACCOUNT)).not.toBe(
        "Allowed",
      );
    }
  });

  it("grants nothing in the legacy layout (no project in the path), which the marker rules out", async () => {
    for (const { arn } of keys(layout.legacyMode, "dev")) {
      expect(await decide(deployPolicy(scope("dev")), "s3:PutObject", arn, ACCOUNT)).not.toBe(
        "Allowed",
      );
    }
  });
});
