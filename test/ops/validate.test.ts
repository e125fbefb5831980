import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "./support/runCli.js";

/**
 * `npm run ops -- validate`: a rules file and stack files checked without deploying and without
 * services, every problem in one run with where it is.
 */

const FIXTURES = "test/fixtures/validate";
const fixture = (name: string) => path.join(FIXTURES, name);

interface Problem {
  file: string;
  line?: number;
  column?: number;
  key?: string;
  rule?: number;
  field?: string;
  message: string;
}

async function validateJson(...args: string[]) {
  const run = await runCli(["validate", ...args, "--json"]);
  const document = JSON.parse(run.stdout) as {
    valid: boolean;
    files: { file: string; valid: boolean; problems: Problem[] }[];
  };
  return { code: run.code, document, problems: document.files.flatMap((f) => f.problems) };
}

const where = (p: Problem) => `${path.basename(p.file)}:${p.line}:${p.column} ${p.field ?? p.key}`;

describe("validate --rules", () => {
  it("reports every problem of a rules file in one run, each with its line, column, rule and field", async () => {
    const { code, problems } = await validateJson("--rules", fixture("broken-rules.json"));
    expect(code).toBe(1);
    expect(problems.map(where)).toEqual([
      "broken-rules.json:6:7 businessHours.timeZone",
      "broken-rules.json:7:7 businessHours.when",
      "broken-rules.json:8:35 businessHours.open[0].from",
      "broken-rules.json:10:20 messages[0].text",
      "broken-rules.json:10:81 messages[1].delay",
      "broken-rules.json:12:5 match",
      "broken-rules.json:12:62 colour",
    ]);
    expect(problems.map((p) => p.rule)).toEqual([0, 0, 0, 0, 0, 1, 1]);
  });

  it("prints them for people as file:line:column and the problem", async () => {
    const run = await runCli(["validate", "--rules", fixture("broken-rules.json")]);
    expect(run.stdout).toContain(`${fixture("broken-rules.json")}: 7 problems`);
    expect(run.stdout).toContain(
      `  ${fixture("broken-rules.json")}:7:7  reply rule 0 ("greeting"): businessHours.when must be "inside" or "outside"`,
    );
  });

  it("reports every JSON syntax error with its position instead of the first alone", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "validate-")), "rules.json");
    writeFileSync(file, '[\n  {"match": "hi", "messages": [],},\n  {"match" "x"}\n]\n');
    const { code, problems } = await validateJson("--rules", file);
    expect(code).toBe(1);
    expect(problems.map((p) => `${p.line}:${p.column} ${p.message}`)).toEqual([
      '2:34 not valid JSON: a property name in "double quotes" expected',
      '3:12 not valid JSON: ":" expected',
    ]);
  });

  it("answers 0 for valid rules, with how many there are", async () => {
    const run = await runCli(["validate", "--rules", fixture("rules/closures.json")]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${fixture("rules/closures.json")}: valid (2 reply rules)\n`);
  });
});

describe("validate --stack-file", () => {
  it("reports every problem of a stack file in one run: values, relations between keys, rules, secrets", async () => {
    const { code, problems } = await validateJson("--stack-file", fixture("Pulumi.broken.yaml"));
    expect(code).toBe(1);
    expect(
      problems.map((p) => `${p.line}:${p.column} ${p.key}${p.field ? ` ${p.field}` : ""}`),
    ).toEqual([
      "3:1 whatsable-replies:alarmEmail",
      "5:3 whatsable-replies:vendorToken",
      "7:3 whatsable-replies:maxReceiveCount",
      "9:3 whatsable-replies:throttleRateLimit",
      "11:5 whatsable-replies:alarmThresholds",
      "15:11 whatsable-replies:replyRules messages[0].text",
      "16:11 whatsable-replies:replyRules messages[0].delay",
      "17:7 whatsable-replies:replyRules match",
      "18:7 whatsable-replies:replyRules messages",
    ]);
  });

  it("never prints a secret value it finds in plain text", async () => {
    const run = await runCli(["validate", "--stack-file", fixture("Pulumi.broken.yaml")]);
    expect(run.stdout).toContain("vendorToken: must be stored encrypted");
    expect(run.stdout + run.stderr).not.toContain("plain-text-token");
  });

  it("points a replyRulesFile's problems into that file", async () => {
    const { problems } = await validateJson("--stack-file", fixture("Pulumi.badfile.yaml"));
    expect(problems).toHaveLength(7);
    expect(problems[0]).toMatchObject({
      file: fixture("broken-rules.json"),
      line: 6,
      column: 7,
      key: "whatsable-replies:replyRulesFile",
      rule: 0,
      field: "businessHours.timeZone",
    });
  });

  it("accepts a valid stack file whose secrets are encrypted, without reading them", async () => {
    const run = await runCli(["validate", "--stack-file", fixture("Pulumi.ok.yaml")]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${fixture("Pulumi.ok.yaml")}: valid (7 keys, 2 reply rules)\n`);
  });

  it("checks a rules file and a stack file in one run", async () => {
    const { code, document } = await validateJson(
      "--rules",
      fixture("rules/closures.json"),
      "--stack-file",
      fixture("Pulumi.broken.yaml"),
    );
    expect(code).toBe(1);
    expect(document.files.map((f) => [path.basename(f.file), f.valid])).toEqual([
      ["closures.json", true],
      ["Pulumi.broken.yaml", false],
    ]);
  });
});

describe("validate: usage", () => {
  it("needs no stack, and a missing file is a usage error naming it", async () => {
    const run = await runCli(["validate", "--rules", fixture("nope.json")]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`validate: --rules ${fixture("nope.json")}: no such file`);
  });

  it("takes files as options, not arguments", async () => {
    const run = await runCli(["validate", "rules.json"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("validate takes no arguments (got rules.json): use --rules FILE");
  });

  it("has no --stack option: it reads files only", async () => {
    const run = await runCli(["validate", "--stack", "prod"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("validate: unknown option --stack");
  });
});
