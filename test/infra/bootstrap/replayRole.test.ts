import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { PROJECT, previewPolicy, replayPolicy } from "../../../infra/bootstrap/policies.js";
import { decide } from "../support/iamSimulate.js";

/**
 * The replay role of a stack (`<stack>-replay`, bootstrap config replayRoles): what the rules
 * replay of a pull request may do, decided by IAM simulation (@cloud-copilot/iam-simulate) as AWS
 * would. The state keys come from Pulumi's own layout (test/fixtures/contracts/pulumi-diy-backend/).
 */

const layout = JSON.parse(
  readFileSync("test/fixtures/contracts/pulumi-diy-backend/layout.json", "utf8"),
) as { projectMode: Record<string, string[]> };

const ACCOUNT = "123456789012";
const OTHER_ACCOUNT = "210987654321";
const REGION = "eu-west-1";
const TABLE = "data-conversation-1a2b3c4";
const scope = {
  partition: "aws",
  region: REGION,
  account: ACCOUNT,
  stateBucket: "acme-state",
  stack: "dev",
};
const policy = replayPolicy({ ...scope, conversationTable: TABLE });
const table = (name: string, account = ACCOUNT) =>
  `arn:aws:dynamodb:${REGION}:${account}:table/${name}`;
const stateKeys = Object.values(layout.projectMode)
  .flat()
  .map(
    (template) =>
      `arn:aws:s3:::acme-state/${template
        .replaceAll("{project}", PROJECT)
        .replaceAll("{stack}", "dev")
        .replaceAll("{unixnano}", "1765065600000000000")
        .replaceAll("{uuid}", "0b3c6f2e-8f4e-4a57-9d0e-3f1b2c4d5e6f")
        .replaceAll("{seq}", "0000000042")}`,
  );

describe("replay role (rules replay in CI, IAM simulation)", () => {
  it.each(["dynamodb:Scan", "dynamodb:Query"])(
    "allows %s on its stack's conversation table",
    async (action) => {
      expect(await decide(policy, action, table(TABLE), ACCOUNT)).toBe("Allowed");
    },
  );

  it("denies the Scan of another stack's table, in its account or another", async () => {
    expect(
      await decide(policy, "dynamodb:Scan", table("data-conversation-9f8e7d6"), ACCOUNT),
    ).not.toBe("Allowed");
    expect(
      await decide(policy, "dynamodb:Scan", table(TABLE, OTHER_ACCOUNT), OTHER_ACCOUNT),
    ).not.toBe("Allowed");
  });

  it("reads no secret", async () => {
    const secret = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:replyPolicy-AbCdEf`;
    for (const action of ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]) {
      expect(await decide(policy, action, secret, ACCOUNT)).not.toBe("Allowed");
    }
  });

  it("writes nothing to its table, and reads no item by key", async () => {
    for (const action of [
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:DeleteItem",
      "dynamodb:BatchWriteItem",
      "dynamodb:GetItem",
      "dynamodb:DeleteTable",
    ]) {
      expect(await decide(policy, action, table(TABLE), ACCOUNT)).not.toBe("Allowed");
    }
  });

  it("reads its stack's state exactly as the preview role does, and writes none of it", async () => {
    const differ: string[] = [];
    for (const key of stateKeys) {
      for (const action of ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]) {
        const replay = await decide(policy, action, key, ACCOUNT);
        const preview = await decide(previewPolicy(scope), action, key, ACCOUNT);
        if ((replay === "Allowed") !== (preview === "Allowed"))
          differ.push(`${action} ${key}: ${replay}`);
      }
    }
    expect(differ).toEqual([]);
  });

  it("refuses a table name DynamoDB would not take, naming the key", () => {
    expect(() => replayPolicy({ ...scope, conversationTable: "data/*" })).toThrow(
      /replayRoles\.dev: "data\/\*" is not a DynamoDB table name/,
    );
  });
});
