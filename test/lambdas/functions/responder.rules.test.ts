import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENV } from "../../../lambdas/contract.js";
import { ConfigurationError } from "../../../lambdas/core/errors.js";
import { readReplyRules } from "../../../lambdas/functions/responder.js";
import { thrown } from "../../support/thrown.js";

const LARGE = path.resolve("test/fixtures/rules/large.json");
const hello = [{ match: "hello", messages: [{ text: "Hi!", delay: 0 }] }];
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "responder-rules-"));
  await writeFile(path.join(dir, "rules.json"), JSON.stringify(hello));
  await writeFile(
    path.join(dir, "bad.json"),
    JSON.stringify([{ match: "a(?=b)", messages: [{ text: "x", delay: 0 }] }]),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const configurationError = (action: () => unknown) => thrown(ConfigurationError, action);

describe("readReplyRules (the responder's rules at cold start)", () => {
  it("reads the bundled file beside the handler, as infra deploys it", () => {
    const { rules } = readReplyRules(dir, { [ENV.replyRulesFile]: "rules.json" });
    expect(rules.map((rule) => rule.match)).toEqual(["hello"]);
  });

  it("reads a rules file far above Lambda's 4 KB environment limit", () => {
    const { rules } = readReplyRules(dir, {
      [ENV.replyRulesFile]: LARGE,
      [ENV.waitingDurationSeconds]: "86400",
    });
    expect(rules.length).toBeGreaterThan(150);
  });

  it("reads inline rules from REPLY_RULES (local stack, tests)", () => {
    const { rules, origin } = readReplyRules(dir, { [ENV.replyRules]: JSON.stringify(hello) });
    expect(rules).toHaveLength(1);
    expect(origin).toBe(ENV.replyRules);
  });

  it("has no rules, hence no replies, when neither is set", () => {
    expect(readReplyRules(dir, {}).rules).toEqual([]);
  });

  it("refuses both at once rather than guess which wins", () => {
    const error = configurationError(() =>
      readReplyRules(dir, {
        [ENV.replyRulesFile]: "rules.json",
        [ENV.replyRules]: JSON.stringify(hello),
      }),
    );
    expect(error.message).toMatch(/REPLY_RULES_FILE and REPLY_RULES are both set/);
  });

  it("fails fast, naming the variable and the file, when the file is missing", () => {
    const error = configurationError(() =>
      readReplyRules(dir, { [ENV.replyRulesFile]: "missing.json" }),
    );
    expect(error.message).toBe(
      `environment variable REPLY_RULES_FILE (${path.join(dir, "missing.json")}): file not found`,
    );
  });

  it("fails fast, naming the rule and field, on a rule preview would refuse too", () => {
    const error = configurationError(() =>
      readReplyRules(dir, { [ENV.replyRulesFile]: "bad.json" }),
    );
    expect(error.message).toMatch(
      /REPLY_RULES_FILE \(.*bad\.json\): reply rule 0: match is not a pattern RE2 accepts: .* at character 2$/,
    );
  });

  it("checks delays against WAITING_DURATION_SECONDS", () => {
    const error = configurationError(() =>
      readReplyRules(dir, {
        [ENV.replyRules]: JSON.stringify([{ messages: [{ text: "x", delay: 5000 }] }]),
        [ENV.waitingDurationSeconds]: "1",
      }),
    );
    expect(error.message).toMatch(
      /messages\[0\]\.delay \(5000 ms\) is beyond the webhook's waiting_duration of 1 s/,
    );
  });
});
