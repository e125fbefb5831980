import { LAMBDA_CONCURRENCY_QUOTA, reservationProblem } from "../infra/awsLimits.js";
import { checkStackConfig, SECRET_KEYS } from "../infra/settings.js";
import type { FreeContext } from "./command.js";
import { messageOf } from "./errors.js";
import {
  bucketAnswers,
  GITHUB_OIDC_HOST,
  githubOidcProvider,
  lambdaConcurrencyQuota,
  type PreflightClients,
} from "./preflightAws.js";
import { readStackFileConfig, type StackFileConfig } from "./stackFile.js";

/**
 * The checks of `preflight --stack NAME` (commands/preflight.ts loads this module only when the
 * command runs: it brings the program's validator and the AWS SDK): what can be checked before a
 * stack's first `pulumi up`, so the first `up` does not stop halfway. The stack file with the program's own validator (placeholders
 * included), the vendor token, and, read-only in the account, the Pulumi state bucket, the
 * GitHub OIDC provider and the Lambda concurrency quota the stack's reservation needs.
 */

export type State = "ok" | "problem" | "unchecked";

export interface PreflightCheck {
  check: string;
  state: State;
  /** What was found, or what is wrong and how to fix it, or why it could not be checked. */
  details: string[];
}

const OFFLINE = "not checked: --offline";
const BACKEND_ENV = "PULUMI_BACKEND_URL";

/** The bucket of an `s3://bucket?region=r` backend URL; undefined for other backends. */
function stateBucketOf(backendUrl: string): string | undefined {
  if (!backendUrl.startsWith("s3://")) return undefined;
  return new URL(backendUrl).hostname || undefined;
}

/** The configuration checks: offline, on the stack file alone. */
function configChecks(view: StackFileConfig): { checks: PreflightCheck[]; reserved: number } {
  const { settings, problems } = checkStackConfig(view.raw, view.root);
  const tokenKey = `${view.raw.namespace}:${SECRET_KEYS.vendorToken}`;
  const tokenProblems = problems.filter((p) => p.startsWith(`${tokenKey}:`));
  const others = problems.filter((p) => !p.startsWith(`${tokenKey}:`));
  const reserved =
    settings?.throttle.ingress === "functionUrl"
      ? (settings.throttle.receiverReservedConcurrency ?? 0)
      : 0;
  return {
    reserved,
    checks: [
      {
        check: `stack file ${view.file}`,
        state: others.length ? "problem" : "ok",
        details: others.length
          ? others
          : [
              `valid${settings ? `: ingress ${settings.ingress}, ${settings.protect ? "protected" : "not protected"}` : ""}, region ${view.region}`,
            ],
      },
      {
        check: "vendor token",
        state: tokenProblems.length ? "problem" : "ok",
        details: tokenProblems.length ? tokenProblems : ["set, encrypted in the stack file"],
      },
    ],
  };
}

/** One AWS check: its answer, or why it could not be had (credentials, network, access). */
async function ask(
  check: string,
  question: () => Promise<Omit<PreflightCheck, "check">>,
): Promise<PreflightCheck> {
  try {
    return { check, ...(await question()) };
  } catch (error) {
    return { check, state: "unchecked", details: [`could not check: ${messageOf(error)}`] };
  }
}

/** The account checks, read-only. */
async function accountChecks(
  clients: PreflightClients,
  { backendUrl, reserved }: { backendUrl?: string; reserved: number },
): Promise<PreflightCheck[]> {
  const bucket = backendUrl === undefined ? undefined : stateBucketOf(backendUrl);
  const { quotaName, serviceCode, quotaCode } = LAMBDA_CONCURRENCY_QUOTA;
  return Promise.all([
    backendUrl === undefined
      ? {
          check: "Pulumi state bucket",
          state: "unchecked" as const,
          details: [
            `no backend named: pass --backend s3://<bucket>?region=<region> or set ${BACKEND_ENV} (the bootstrap stack's pulumiBackendUrl output)`,
          ],
        }
      : bucket === undefined
        ? {
            check: "Pulumi state bucket",
            state: "ok" as const,
            details: [`backend ${backendUrl.split("://")[0]}://: no bucket of yours to check`],
          }
        : ask("Pulumi state bucket", async () =>
            (await bucketAnswers(clients.s3, bucket))
              ? { state: "ok", details: [`s3://${bucket} answers`] }
              : {
                  state: "problem",
                  details: [
                    `s3://${bucket} does not exist: run the bootstrap stack first (infra/bootstrap, docs/operations.md)`,
                  ],
                },
          ),
    ask("GitHub OIDC provider", async () => {
      const arn = await githubOidcProvider(clients.iam);
      return arn
        ? { state: "ok", details: [arn] }
        : {
            state: "problem",
            details: [
              `the account trusts no ${GITHUB_OIDC_HOST} issuer: run the bootstrap stack first (infra/bootstrap), or CI cannot assume its deploy role`,
            ],
          };
    }),
    ask("Lambda concurrency quota", async () => {
      const quota = await lambdaConcurrencyQuota(clients.serviceQuotas);
      const where = `Service Quotas "${quotaName}" (${serviceCode}, ${quotaCode})`;
      const problem = reservationProblem(reserved, quota);
      if (problem) return { state: "problem", details: [`${where} is ${quota}: ${problem}`] };
      return {
        state: "ok",
        details: [
          `${where} is ${quota}; the stack reserves ${reserved}` +
            (quota < 100 ? `: the functions run at most ${quota} at once until AWS raises it` : ""),
        ],
      };
    }),
  ]);
}

export async function runPreflight(context: FreeContext): Promise<{
  ok: boolean;
  checks: PreflightCheck[];
}> {
  const stack = String(context.values.stack);
  const offline = context.values.offline === true;
  let view: StackFileConfig;
  try {
    view = await readStackFileConfig(context.root, stack);
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : messageOf(error);
    return {
      ok: false,
      checks: [
        {
          check: `stack file Pulumi.${stack}.yaml`,
          state: "problem",
          details: [
            `cannot read it (${reason}): create it with \`pulumi stack init ${stack}\` in the project root`,
          ],
        },
      ],
    };
  }
  const { checks, reserved } = configChecks(view);
  const backendUrl =
    (context.values.backend as string | undefined) ?? context.env[BACKEND_ENV] ?? undefined;
  const accountNames = ["Pulumi state bucket", "GitHub OIDC provider", "Lambda concurrency quota"];
  if (offline || !view.region) {
    const why = offline ? OFFLINE : "not checked: the stack file names no aws:region";
    checks.push(
      ...accountNames.map((check) => ({ check, state: "unchecked" as const, details: [why] })),
    );
  } else {
    context.progress(`asking AWS (${view.region}, read-only) ...`);
    const clients = await context.preflightClients(view.region);
    try {
      checks.push(...(await accountChecks(clients, { backendUrl, reserved })));
    } finally {
      clients.destroy?.();
    }
  }
  // Offline, what could not be checked was asked for; otherwise an unanswered check is a failure.
  const ok = checks.every((c) => c.state === "ok" || (offline && c.state === "unchecked"));
  return { ok, checks };
}
