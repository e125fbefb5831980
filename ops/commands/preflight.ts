import { LAMBDA_CONCURRENCY_QUOTA } from "../../infra/awsLimits.js";
import type { Command } from "../command.js";
import { UsageError } from "../errors.js";
import type { State } from "../preflight.js";

/** `preflight --stack NAME`: the command line; the checks are in ../preflight.ts. */

const MARK: Record<State, string> = { ok: "ok  ", problem: "FAIL", unchecked: "??  " };

export const preflightCommand: Command = {
  name: "preflight",
  summary: "before a stack's first up: stack file, vendor token, state bucket, OIDC, Lambda quota",
  args: "",
  target: "stackFile",
  description: [
    "What can be checked before `pulumi up`, so the first one does not stop halfway:",
    "  stack file               Pulumi.<stack>.yaml with the program's own validator (every",
    "                           problem at once, placeholders such as oncall@example.com included)",
    "  vendor token             set with `pulumi config set --secret vendorToken`",
    "  Pulumi state bucket      the s3:// backend's bucket answers (--backend or PULUMI_BACKEND_URL)",
    "  GitHub OIDC provider     the account trusts token.actions.githubusercontent.com",
    `  Lambda concurrency quota Service Quotas ${LAMBDA_CONCURRENCY_QUOTA.quotaCode} allows the reservation the stack asks`,
    "AWS is asked read-only, with your credentials, in the stack file's aws:region. Exit 0 when",
    "every check passed (with --offline: every check that ran), 1 otherwise; the output says",
    "which could not be checked and why.",
  ].join("\n"),
  options: {
    backend: {
      type: "string",
      valueName: "URL",
      help: "the Pulumi backend, e.g. s3://acme-pulumi-state?region=eu-west-1\n(default: $PULUMI_BACKEND_URL)",
    },
    offline: { type: "boolean", help: "check the stack file only; say what was not checked" },
  },
  check(positionals, values) {
    if (positionals.length) {
      throw new UsageError(`preflight takes no arguments, got ${positionals.join(" ")}`);
    }
    if (values.outputs !== undefined) {
      throw new UsageError(
        "preflight checks a stack file before it is deployed: give --stack NAME, not --outputs",
      );
    }
    if (typeof values.stack !== "string") {
      throw new UsageError("which stack? give --stack NAME (checks Pulumi.<NAME>.yaml)");
    }
    if (!/^[\w.-]+$/.test(values.stack)) {
      throw new UsageError(`--stack: "${values.stack}" is not a stack name`);
    }
    const backend = values.backend;
    if (backend !== undefined && (typeof backend !== "string" || !URL.canParse(backend))) {
      throw new UsageError(
        `--backend: "${String(backend)}" is not a URL (e.g. s3://bucket?region=eu-west-1)`,
      );
    }
  },
  examples: [
    "preflight --stack prod",
    "preflight --stack prod --backend 's3://acme-pulumi-state?region=eu-west-1'",
    "preflight --stack prod --offline --json",
  ],
  async run(context) {
    // Loaded only when run: the validator brings @pulumi/pulumi, which no other command needs.
    const { runPreflight } = await import("../preflight.js");
    const { ok, checks } = await runPreflight(context);
    const width = Math.max(...checks.map((c) => c.check.length));
    const text = [
      `preflight of stack "${String(context.values.stack)}"`,
      ...checks.flatMap((c) => [
        `  ${MARK[c.state]} ${c.check.padEnd(width)}  ${c.details[0] ?? ""}`,
        ...c.details.slice(1).map((d) => `       ${" ".repeat(width)}  ${d}`),
      ]),
      ok
        ? "ready for the first `pulumi up`"
        : "not ready: fix what FAIL says, check what ?? could not",
    ].join("\n");
    return { ok, text, json: { stack: context.values.stack, ok, checks } };
  },
};
