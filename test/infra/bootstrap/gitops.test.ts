import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import {
  type BootstrapOutputs,
  GitopsInputError,
  gitopsPlan,
  parseBootstrapOutputs,
  renderStep,
  type Step,
} from "../../../scripts/gitopsPlan.js";

/** What infra/bootstrap outputs (index.ts's exports) for an account hosting the given stacks. */
function bootstrap(
  account: string,
  stacks: string[],
  replayStacks: string[] = [],
): BootstrapOutputs {
  return {
    githubEnvironments: Object.fromEntries(
      stacks.flatMap((stack) => [
        [stack, { AWS_DEPLOY_ROLE_ARN: `arn:aws:iam::${account}:role/${stack}-deploy-1a2b` }],
        [
          `${stack}-preview`,
          { AWS_PREVIEW_ROLE_ARN: `arn:aws:iam::${account}:role/${stack}-preview-3c4d` },
        ],
        ...(replayStacks.includes(stack)
          ? [
              [
                `${stack}-replay`,
                { AWS_REPLAY_ROLE_ARN: `arn:aws:iam::${account}:role/${stack}-replay-5e6f` },
              ],
            ]
          : []),
      ]),
    ),
    pulumiBackendUrl: `s3://state-${account}?region=eu-west-1`,
  };
}
const REPO = "acme/whatsable-replies";
const oneAccount = () =>
  gitopsPlan({
    repository: REPO,
    bootstraps: [
      { file: "ci.json", outputs: bootstrap("111111111111", ["dev", "staging", "prod"]) },
    ],
    reviewers: [{ type: "User", id: 4242 }],
    statusCheck: "check",
  });
const gh = (steps: Step[]) => steps.filter((s) => s.kind === "gh");
const bodyOf = (steps: Step[], pathSuffix: string) => {
  const step = gh(steps).find((s) => s.kind === "gh" && s.args[3]?.endsWith(pathSuffix));
  return step?.kind === "gh" && step.stdin && "json" in step.stdin ? step.stdin.json : undefined;
};

describe("gitops plan (GitHub environments from the bootstrap's outputs)", () => {
  it("creates the stacks by hand first, in promotion order, before any workflow runs", () => {
    const manual = oneAccount().filter((s) => s.kind === "manual");
    expect(manual.map((s) => s.kind === "manual" && s.lines[2])).toEqual([
      "pulumi stack init dev --secrets-provider passphrase",
      "pulumi stack init staging --secrets-provider passphrase",
      "pulumi stack init prod --secrets-provider passphrase",
    ]);
    expect(oneAccount()[0]?.kind).toBe("manual");
  });

  it("sets each environment's variables with gh variable set --env --body --repo", () => {
    const vars = gh(oneAccount())
      .filter((s) => s.kind === "gh" && s.args[0] === "variable")
      .map((s) => (s.kind === "gh" ? s.args.join(" ") : ""));
    expect(vars).toContain(
      `variable set AWS_DEPLOY_ROLE_ARN --env prod --body arn:aws:iam::111111111111:role/prod-deploy-1a2b --repo ${REPO}`,
    );
    expect(vars).toContain(
      `variable set AWS_PREVIEW_ROLE_ARN --env dev-preview --body arn:aws:iam::111111111111:role/dev-preview-3c4d --repo ${REPO}`,
    );
    expect(vars).toContain(`variable set AWS_REGION --env staging --body eu-west-1 --repo ${REPO}`);
    expect(vars).toContain(
      `variable set PULUMI_BACKEND_URL --env prod-preview --body s3://state-111111111111?region=eu-west-1 --repo ${REPO}`,
    );
  });

  it("pipes each stack's passphrase to gh secret set from its own variable, never as an argument", () => {
    const secrets = gh(oneAccount()).filter((s) => s.kind === "gh" && s.args[0] === "secret");
    expect(secrets.map((s) => s.kind === "gh" && [s.args.join(" "), s.stdin])).toContainEqual([
      `secret set PULUMI_CONFIG_PASSPHRASE --env prod-preview --repo ${REPO}`,
      { env: "PULUMI_CONFIG_PASSPHRASE_PROD" },
    ]);
    expect(secrets).toHaveLength(6);
    for (const s of secrets) expect(s.kind === "gh" && s.args).not.toContain("--body");
  });

  it("gates staging and prod behind the required reviewers, and deploys from main only", () => {
    const steps = oneAccount();
    expect(bodyOf(steps, "environments/prod")).toEqual({
      deployment_branch_policy: { protected_branches: false, custom_branch_policies: true },
      reviewers: [{ type: "User", id: 4242 }],
    });
    expect(bodyOf(steps, "environments/staging")).toMatchObject({ reviewers: [{ id: 4242 }] });
    expect(bodyOf(steps, "environments/dev")).not.toHaveProperty("reviewers");
    expect(bodyOf(steps, "environments/prod/deployment-branch-policies")).toEqual({
      name: "main",
      type: "branch",
    });
  });

  it("lets pull requests use dev-preview and staging-preview, and prod-preview from main only", () => {
    const steps = oneAccount();
    expect(bodyOf(steps, "environments/dev-preview")).toEqual({ deployment_branch_policy: null });
    expect(bodyOf(steps, "environments/prod-preview")).toEqual({
      deployment_branch_policy: { protected_branches: false, custom_branch_policies: true },
    });
    expect(bodyOf(steps, "environments/prod-preview/deployment-branch-policies")).toEqual({
      name: "main",
      type: "branch",
    });
  });

  it("makes a -replay environment only for the stacks the bootstrap gave a replay role", () => {
    const steps = gitopsPlan({
      repository: REPO,
      bootstraps: [
        {
          file: "ci.json",
          outputs: bootstrap("111111111111", ["dev", "staging", "prod"], ["dev"]),
        },
      ],
      reviewers: [{ type: "User", id: 4242 }],
      statusCheck: "check",
    });
    const text = steps.map(renderStep).join("\n");
    // Pull requests run the replay job, like the preview.
    expect(bodyOf(steps, "environments/dev-replay")).toEqual({ deployment_branch_policy: null });
    expect(text).toContain(
      `gh variable set AWS_REPLAY_ROLE_ARN --env dev-replay --body arn:aws:iam::111111111111:role/dev-replay-5e6f --repo ${REPO}`,
    );
    expect(text).toContain(
      `printenv PULUMI_CONFIG_PASSPHRASE_DEV | gh secret set PULUMI_CONFIG_PASSPHRASE --env dev-replay --repo ${REPO}`,
    );
    expect(text).not.toMatch(/staging-replay|prod-replay/);
    // No stack is asked to make a "dev-replay" stack of its own.
    expect(text).not.toContain("pulumi stack init dev-replay");
  });

  it("protects main: a green CI check and one approving review", () => {
    expect(bodyOf(oneAccount(), "branches/main/protection")).toEqual({
      required_status_checks: { strict: true, contexts: ["check"] },
      enforce_admins: true,
      required_pull_request_reviews: { required_approving_review_count: 1 },
      restrictions: null,
    });
  });

  it("takes one bootstrap per account, each stack's values from its own account", () => {
    const steps = gitopsPlan({
      repository: REPO,
      bootstraps: [
        { file: "dev.json", outputs: bootstrap("111111111111", ["dev"]) },
        { file: "prod.json", outputs: bootstrap("999999999999", ["prod"]) },
      ],
      reviewers: [{ type: "Team", id: 7 }],
      statusCheck: "check",
    });
    const text = steps.map(renderStep).join("\n");
    expect(text).toContain("--env prod --body arn:aws:iam::999999999999:role/prod-deploy-1a2b");
    expect(text).toContain("--env dev --body 's3://state-111111111111?region=eu-west-1'");
    expect(text).toContain("pulumi login 's3://state-999999999999?region=eu-west-1'");
  });

  it("refuses a stack claimed by two accounts, naming both files", () => {
    expect(() =>
      gitopsPlan({
        repository: REPO,
        bootstraps: [
          { file: "a.json", outputs: bootstrap("111111111111", ["dev"]) },
          { file: "b.json", outputs: bootstrap("222222222222", ["dev"]) },
        ],
        reviewers: [],
        statusCheck: "check",
      }),
    ).toThrow(/b\.json: stack dev is also in a\.json/);
  });

  it("refuses staging or prod without a required reviewer", () => {
    expect(() =>
      gitopsPlan({
        repository: REPO,
        bootstraps: [{ file: "ci.json", outputs: bootstrap("111111111111", ["prod"]) }],
        reviewers: [],
        statusCheck: "check",
      }),
    ).toThrow(GitopsInputError);
  });

  it("names the file and field of a malformed bootstrap output", () => {
    expect(() =>
      parseBootstrapOutputs("prod.json", {
        githubEnvironments: { prod: { AWS_DEPLOY_ROLE_ARN: "not-an-arn" } },
        pulumiBackendUrl: "s3://b?region=eu-west-1",
      }),
    ).toThrow(/prod\.json: githubEnvironments\.prod\.AWS_DEPLOY_ROLE_ARN/);
    expect(() =>
      parseBootstrapOutputs("dev.json", {
        githubEnvironments: { "dev-replay": { AWS_PREVIEW_ROLE_ARN: "arn:aws:iam::1:role/x" } },
        pulumiBackendUrl: "s3://b?region=eu-west-1",
      }),
    ).toThrow(/dev\.json: githubEnvironments\.dev-replay\.AWS_REPLAY_ROLE_ARN/);
  });
});

describe("npm run gitops without gh on PATH", () => {
  it("prints every command, and no passphrase", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "gitops-"));
    const file = path.join(dir, "ci.json");
    writeFileSync(file, JSON.stringify(bootstrap("111111111111", ["dev", "staging", "prod"])));
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        "--import",
        "tsx",
        "scripts/gitops.ts",
        "--repo",
        REPO,
        "--bootstrap",
        file,
        "--reviewer",
        "user:4242",
      ],
      {
        // Only node's own directory: no gh.
        env: {
          PATH: path.dirname(process.execPath),
          PULUMI_CONFIG_PASSPHRASE_PROD: "correct horse battery staple",
        },
      },
    );
    expect(stdout).toContain("gh not run");
    expect(stdout).toContain(
      `printenv PULUMI_CONFIG_PASSPHRASE_PROD | gh secret set PULUMI_CONFIG_PASSPHRASE --env prod --repo ${REPO}`,
    );
    expect(stdout).toContain(
      "gh api --method PUT repos/acme/whatsable-replies/branches/main/protection --input -",
    );
    expect(stdout).not.toContain("correct horse");
  }, 60_000);
});
