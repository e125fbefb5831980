import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadYamlFile } from "./support/stackFiles.js";

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Job {
  needs?: string | string[];
  environment?: string;
  if?: string;
  strategy?: { matrix?: { include?: Array<Record<string, string>> } };
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

const DIR = ".github/workflows";
const workflow = (name: string) => loadYamlFile(`${DIR}/${name}`) as Workflow;
const pulumiStep = (job: Job) => {
  const step = job.steps.find((s) => s.uses?.startsWith("pulumi/actions@"));
  if (!step) throw new Error("job has no pulumi/actions step");
  return step;
};
const needs = (job: Job) => [job.needs ?? []].flat();

describe("GitHub workflows", () => {
  const files = readdirSync(DIR).filter((file) => file.endsWith(".yml"));

  it.each(files)("%s pins every action to a commit SHA", (file) => {
    for (const job of Object.values(workflow(file).jobs)) {
      for (const step of job.steps) {
        if (step.uses) expect(step.uses).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
      }
    }
  });

  it.each(files)("%s declares its token permissions", (file) => {
    expect(workflow(file).permissions).toBeDefined();
  });

  it("previews every stack on pull requests, commenting on the PR", () => {
    const preview = workflow("preview.yml");
    expect(Object.keys(preview.on)).toEqual(["pull_request"]);
    const job = preview.jobs.preview as Job;
    expect(job.strategy?.matrix?.include?.map((entry) => entry.stack)).toEqual([
      "dev",
      "staging",
      "prod",
    ]);
    expect(pulumiStep(job).with).toMatchObject({ command: "preview", "comment-on-pr": true });
  });

  it("deploys to dev on merge to main, after the tests", () => {
    const deploy = workflow("deploy.yml");
    expect(deploy.on.push).toEqual({ branches: ["main"] });
    const dev = deploy.jobs.dev as Job;
    expect(needs(dev)).toEqual(["verify"]);
    expect(deploy.jobs.verify?.steps.some((s) => s.run === ".ci/run")).toBe(true);
    expect(pulumiStep(dev).with).toMatchObject({ command: "up" });
    expect(String(pulumiStep(dev).with?.["stack-name"])).toMatch(/dev$/);
  });

  it.each([
    ["staging", "dev"],
    ["prod", "staging"],
  ])("promotes to %s only after %s, behind the %s environment's approval", (stack, previous) => {
    const job = workflow("deploy.yml").jobs[stack] as Job;
    expect(job.environment).toBe(stack);
    expect(needs(job)).toContain(previous);
    expect(pulumiStep(job).with).toMatchObject({ command: "up" });
    expect(String(pulumiStep(job).with?.["stack-name"])).toMatch(new RegExp(`${stack}$`));
  });

  it("deploys the same tested commit to every stack", () => {
    const deploy = workflow("deploy.yml");
    for (const stack of ["dev", "staging", "prod"]) {
      const checkout = deploy.jobs[stack]?.steps.find((s) =>
        s.uses?.startsWith("actions/checkout@"),
      );
      // A GitHub expression, not a JS template.
      expect(checkout?.with?.ref).toBe(["$", "{{ needs.verify.outputs.sha }}"].join(""));
    }
  });

  it("fails the nightly drift check when a refresh finds changes", () => {
    const drift = workflow("drift.yml");
    expect(drift.on).toHaveProperty("schedule");
    expect(pulumiStep(drift.jobs.drift as Job).with).toMatchObject({
      command: "preview",
      refresh: true,
      "expect-no-changes": true,
    });
  });
});
