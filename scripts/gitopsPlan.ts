/**
 * The GitOps set-up of the repository (dev → staging → prod), as a list of commands computed from
 * the bootstrap's outputs: the stacks to create by hand, then the GitHub environments (deploy,
 * preview, and replay where the bootstrap made a replay role), their
 * deployment-branch rules, required reviewers, variables and passphrase secrets, and the branch
 * protection of main. Pure: scripts/gitops.ts runs the list with `gh`, or prints it.
 *
 * Command shapes are GitHub's (test/fixtures/contracts/github-cli/README.md): `gh variable set NAME
 * --env ENV --body VALUE --repo OWNER/REPO`, `gh secret set NAME --env ENV --repo OWNER/REPO`
 * (the value from standard input, never an argument), and `gh api --method PUT|POST <path>
 * --input -` with the REST API's request bodies.
 */

/** `pulumi stack output --json` of one bootstrap stack (infra/bootstrap/index.ts). */
export interface BootstrapOutputs {
  githubEnvironments: Record<string, Record<string, string>>;
  pulumiBackendUrl: string;
}

export interface Reviewer {
  type: "User" | "Team";
  id: number;
}

export interface GitopsInput {
  /** owner/name */
  repository: string;
  /** One per AWS account (one per stack is the advice); each names the stacks it hosts. */
  bootstraps: { file: string; outputs: BootstrapOutputs }[];
  /** Required reviewers of the staging and prod deploy environments (the promotion gate). */
  reviewers: Reviewer[];
  /** The name of CI's status check that main's branch protection requires (ci.yml's job). */
  statusCheck: string;
}

export type Step =
  | {
      kind: "manual";
      /** What to run by hand, with the administrator's AWS credentials (not through gh). */
      title: string;
      lines: string[];
    }
  | {
      kind: "gh";
      title: string;
      args: string[];
      /** Standard input: a JSON request body, or the value of an environment variable. */
      stdin?: { json: unknown } | { env: string };
    };

/** Stacks in promotion order; others after, alphabetically. */
const ORDER = ["dev", "staging", "prod"];
/** Deploy environments that wait for a required reviewer before they run. */
const GATED = new Set(["staging", "prod"]);

export class GitopsInputError extends Error {}

/** The environment variable the passphrase of `stack` is read from (never an argument). */
export function passphraseVariable(stack: string): string {
  return `PULUMI_CONFIG_PASSPHRASE_${stack.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

/** Checks one bootstrap output document, naming the file and field of what is wrong. */
export function parseBootstrapOutputs(file: string, value: unknown): BootstrapOutputs {
  const fail = (field: string, problem: string) => {
    throw new GitopsInputError(
      `${file}: ${field} ${problem} (expected \`pulumi stack output --json\` of infra/bootstrap)`,
    );
  };
  if (typeof value !== "object" || value === null) fail("(document)", "is not a JSON object");
  const doc = value as Record<string, unknown>;
  if (
    typeof doc.pulumiBackendUrl !== "string" ||
    !/^s3:\/\/[^?/]+\?region=[a-z0-9-]+$/.test(doc.pulumiBackendUrl)
  )
    fail("pulumiBackendUrl", "must be s3://<bucket>?region=<region>");
  const environments = doc.githubEnvironments;
  if (typeof environments !== "object" || environments === null || Array.isArray(environments))
    fail("githubEnvironments", "must be an object of environments");
  for (const [name, vars] of Object.entries(environments as Record<string, unknown>)) {
    const key = ROLE_VARIABLE[environmentKind(name).purpose];
    const arn = (vars as Record<string, unknown> | null)?.[key];
    if (typeof arn !== "string" || !/^arn:aws[\w-]*:iam::\d{12}:role\/.+$/.test(arn))
      fail(`githubEnvironments.${name}.${key}`, "must be an IAM role ARN");
  }
  return doc as unknown as BootstrapOutputs;
}

/** The role variable of each kind of environment (infra/bootstrap/index.ts githubEnvironments). */
const ROLE_VARIABLE = {
  deploy: "AWS_DEPLOY_ROLE_ARN",
  preview: "AWS_PREVIEW_ROLE_ARN",
  replay: "AWS_REPLAY_ROLE_ARN",
} as const;

/** `<stack>` deploys, `<stack>-preview` previews, `<stack>-replay` replays rules changes. */
function environmentKind(env: string): { stack: string; purpose: keyof typeof ROLE_VARIABLE } {
  const match = /^(.+)-(preview|replay)$/.exec(env);
  return match
    ? { stack: match[1] as string, purpose: match[2] as "preview" | "replay" }
    : { stack: env, purpose: "deploy" };
}

const regionOf = (backendUrl: string) => new URL(backendUrl).searchParams.get("region") ?? "";

/** The commands, in the order to run them. */
export function gitopsPlan(input: GitopsInput): Step[] {
  if (!/^[\w.-]+\/[\w.-]+$/.test(input.repository))
    throw new GitopsInputError(`--repo: "${input.repository}" must be owner/name`);
  const repo = input.repository;
  const stacks = new Map<
    string,
    {
      backendUrl: string;
      deployRole: string;
      previewRole: string;
      replayRole?: string;
      file: string;
    }
  >();
  for (const { file, outputs } of input.bootstraps) {
    for (const [env, vars] of Object.entries(outputs.githubEnvironments)) {
      const { stack, purpose } = environmentKind(env);
      const known = stacks.get(stack);
      if (known && known.file !== file)
        throw new GitopsInputError(
          `${file}: stack ${stack} is also in ${known.file}; each stack has one account`,
        );
      const entry = known ?? {
        backendUrl: outputs.pulumiBackendUrl,
        deployRole: "",
        previewRole: "",
        file,
      };
      if (purpose === "preview") entry.previewRole = vars.AWS_PREVIEW_ROLE_ARN ?? "";
      else if (purpose === "replay") entry.replayRole = vars.AWS_REPLAY_ROLE_ARN ?? "";
      else entry.deployRole = vars.AWS_DEPLOY_ROLE_ARN ?? "";
      stacks.set(stack, entry);
    }
  }
  if (stacks.size === 0) throw new GitopsInputError("no bootstrap output names any stack");
  const ordered = [...stacks.keys()].sort(
    (a, b) => (ORDER.indexOf(a) + 1 || 99) - (ORDER.indexOf(b) + 1 || 99) || a.localeCompare(b),
  );
  if (input.reviewers.length === 0 && ordered.some((s) => GATED.has(s)))
    throw new GitopsInputError(
      "--reviewer: staging and prod need at least one required reviewer (the promotion gate)",
    );

  const steps: Step[] = [];
  for (const stack of ordered) {
    const { backendUrl } = stacks.get(stack) as { backendUrl: string };
    steps.push({
      kind: "manual",
      title: `Create stack ${stack} in its account's state bucket (once, before the first workflow run)`,
      lines: [
        `export PULUMI_CONFIG_PASSPHRASE="$${passphraseVariable(stack)}"`,
        `pulumi login '${backendUrl}'`,
        `pulumi stack init ${stack} --secrets-provider passphrase`,
        `pulumi config set --secret vendorToken --stack ${stack}`,
        `git add Pulumi.${stack}.yaml && git commit -m "${stack}: encryption salt and vendor token"`,
      ],
    });
  }

  const api = (method: "PUT" | "POST", path: string, body: unknown, title: string): Step => ({
    kind: "gh",
    title,
    args: ["api", "--method", method, `repos/${repo}/${path}`, "--input", "-"],
    stdin: { json: body },
  });
  const mainOnly = (env: string) =>
    api(
      "POST",
      `environments/${env}/deployment-branch-policies`,
      { name: "main", type: "branch" },
      `${env}: deployments from main only`,
    );
  const variable = (env: string, name: string, value: string): Step => ({
    kind: "gh",
    title: `${env}: variable ${name}`,
    args: ["variable", "set", name, "--env", env, "--body", value, "--repo", repo],
  });
  const passphrase = (env: string, stack: string): Step => ({
    kind: "gh",
    title: `${env}: secret PULUMI_CONFIG_PASSPHRASE (from $${passphraseVariable(stack)})`,
    args: ["secret", "set", "PULUMI_CONFIG_PASSPHRASE", "--env", env, "--repo", repo],
    stdin: { env: passphraseVariable(stack) },
  });

  for (const stack of ordered) {
    const { backendUrl, deployRole, previewRole, replayRole } = stacks.get(stack) as {
      backendUrl: string;
      deployRole: string;
      previewRole: string;
      replayRole?: string;
    };
    const region = regionOf(backendUrl);
    // Deploy environment: main only; staging and prod wait for a required reviewer.
    const deployBody: Record<string, unknown> = {
      deployment_branch_policy: { protected_branches: false, custom_branch_policies: true },
    };
    if (GATED.has(stack)) deployBody.reviewers = input.reviewers;
    steps.push(api("PUT", `environments/${stack}`, deployBody, `environment ${stack}`));
    steps.push(mainOnly(stack));
    steps.push(variable(stack, "AWS_DEPLOY_ROLE_ARN", deployRole));
    steps.push(variable(stack, "AWS_REGION", region));
    steps.push(variable(stack, "PULUMI_BACKEND_URL", backendUrl));
    steps.push(passphrase(stack, stack));
    // Preview environment: pull requests preview dev and staging from any branch; prod's is used
    // from main only (deploy.yml's prod-preview job and the nightly drift check).
    const preview = `${stack}-preview`;
    const fromPullRequests = stack !== "prod";
    steps.push(
      api(
        "PUT",
        `environments/${preview}`,
        fromPullRequests
          ? { deployment_branch_policy: null }
          : {
              deployment_branch_policy: { protected_branches: false, custom_branch_policies: true },
            },
        `environment ${preview}`,
      ),
    );
    if (!fromPullRequests) steps.push(mainOnly(preview));
    steps.push(variable(preview, "AWS_PREVIEW_ROLE_ARN", previewRole));
    steps.push(variable(preview, "AWS_REGION", region));
    steps.push(variable(preview, "PULUMI_BACKEND_URL", backendUrl));
    steps.push(passphrase(preview, stack));
    // Replay environment, where the bootstrap made a replay role (replayRoles): preview.yml's
    // replay job reads the stack's outputs (passphrase) and Scans its conversation table, from a
    // pull request's branch like the preview; prod's from main only, like prod-preview.
    if (replayRole !== undefined) {
      const replay = `${stack}-replay`;
      steps.push(
        api(
          "PUT",
          `environments/${replay}`,
          fromPullRequests
            ? { deployment_branch_policy: null }
            : {
                deployment_branch_policy: {
                  protected_branches: false,
                  custom_branch_policies: true,
                },
              },
          `environment ${replay}`,
        ),
      );
      if (!fromPullRequests) steps.push(mainOnly(replay));
      steps.push(variable(replay, "AWS_REPLAY_ROLE_ARN", replayRole));
      steps.push(variable(replay, "AWS_REGION", region));
      steps.push(variable(replay, "PULUMI_BACKEND_URL", backendUrl));
      steps.push(passphrase(replay, stack));
    }
  }

  steps.push(
    api(
      "PUT",
      "branches/main/protection",
      {
        required_status_checks: { strict: true, contexts: [input.statusCheck] },
        enforce_admins: true,
        required_pull_request_reviews: { required_approving_review_count: 1 },
        restrictions: null,
      },
      "main: pull requests with one approval and a green CI only",
    ),
  );
  return steps;
}

const quote = (arg: string) =>
  /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;

/** A step as shell text (what the script prints where `gh` is absent). No secret value appears. */
export function renderStep(step: Step): string {
  if (step.kind === "manual") return [`# ${step.title} (by hand)`, ...step.lines].join("\n");
  const command = ["gh", ...step.args].map(quote).join(" ");
  if (!step.stdin) return `# ${step.title}\n${command}`;
  if ("env" in step.stdin) return `# ${step.title}\nprintenv ${step.stdin.env} | ${command}`;
  return `# ${step.title}\necho ${quote(JSON.stringify(step.stdin.json))} | ${command}`;
}
