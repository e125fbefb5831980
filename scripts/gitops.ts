/**
 * `npm run gitops -- --repo acme/whatsable-replies --bootstrap dev.json --bootstrap prod.json
 *   --reviewer user:1234567 [--status-check check] [--print]`
 *
 * Sets up the GitHub side of dev → staging → prod from the bootstrap's outputs (`pulumi stack
 * output --json` of infra/bootstrap, one file per AWS account): the environments with their
 * deployment-branch rules and required reviewers, their variables, the passphrase secrets (read
 * from PULUMI_CONFIG_PASSPHRASE_<STACK>, piped to `gh`, never printed), and main's branch
 * protection. It prints the stacks to create by hand first. Without `gh` on PATH, or with
 * --print, it prints every command instead of running it. See docs/operations.md, "Connect
 * GitHub". A reviewer's id: `gh api users/<login> --jq .id` (or orgs/<org>/teams/<slug>).
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import {
  GitopsInputError,
  gitopsPlan,
  parseBootstrapOutputs,
  type Reviewer,
  renderStep,
} from "./gitopsPlan.js";

function parseReviewer(text: string): Reviewer {
  const match = /^(user|team):(\d+)$/.exec(text);
  if (!match) throw new GitopsInputError(`--reviewer: "${text}" must be user:<id> or team:<id>`);
  return { type: match[1] === "team" ? "Team" : "User", id: Number(match[2]) };
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? "")
    .split(path.delimiter)
    .some((dir) => dir !== "" && existsSync(path.join(dir, command)));
}

function main(): number {
  const { values } = parseArgs({
    options: {
      repo: { type: "string" },
      bootstrap: { type: "string", multiple: true },
      reviewer: { type: "string", multiple: true },
      "status-check": { type: "string", default: "check" },
      print: { type: "boolean", default: false },
    },
  });
  if (!values.repo) throw new GitopsInputError("--repo owner/name is required");
  const bootstraps = (values.bootstrap ?? []).map((file) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, "utf8"));
    } catch (error) {
      throw new GitopsInputError(`${file}: not readable JSON (${(error as Error).message})`);
    }
    return { file, outputs: parseBootstrapOutputs(file, parsed) };
  });
  if (bootstraps.length === 0)
    throw new GitopsInputError(
      "--bootstrap <file> is required (pulumi stack output --json of infra/bootstrap)",
    );
  const steps = gitopsPlan({
    repository: values.repo,
    bootstraps,
    reviewers: (values.reviewer ?? []).flatMap((r) => r.split(",")).map(parseReviewer),
    statusCheck: values["status-check"] ?? "check",
  });

  const run = !values.print && onPath("gh");
  if (!run) console.log("# gh not run (absent from PATH, or --print): the commands, in order\n");
  for (const step of steps) {
    if (step.kind === "manual" || !run) {
      console.log(`${renderStep(step)}\n`);
      continue;
    }
    let input: string | undefined;
    if (step.stdin && "env" in step.stdin) {
      input = process.env[step.stdin.env];
      if (!input)
        throw new GitopsInputError(
          `${step.stdin.env} is not set: export it with the stack's passphrase`,
        );
    } else if (step.stdin) {
      input = JSON.stringify(step.stdin.json);
    }
    console.log(`- ${step.title}`);
    const result = spawnSync("gh", step.args, { input, stdio: ["pipe", "inherit", "inherit"] });
    if (result.status !== 0) {
      console.error(
        `gh ${step.args.slice(0, 3).join(" ")} failed (${step.title}); fix it and run again ` +
          "(each step sets, so a repeat changes nothing; a branch rule that exists already is refused, which is harmless)",
      );
      return 1;
    }
  }
  return 0;
}

try {
  process.exitCode = main();
} catch (error) {
  if (!(error instanceof GitopsInputError)) throw error;
  console.error(`gitops: ${error.message}`);
  process.exitCode = 2;
}
