import { copyFile, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import yaml from "js-yaml";
import { describe, expect, it, onTestFinished } from "vitest";
import type { PreflightCheck } from "../../ops/preflight.js";
import type { PreflightClients, Sender } from "../../ops/preflightAws.js";
import { FILLED_IN } from "../infra/support/stackFiles.js";
import { runCli } from "./support/runCli.js";

/**
 * `npm run ops -- preflight`: the stack files are the repository's own (copied into a temporary
 * project root when a test fills them in as a user does), the AWS clients are fakes that record
 * what they were asked; nothing reaches AWS.
 */

const NS = "whatsable-replies";
/** How `pulumi config set --secret` stores a value in the stack file (never decrypted here). */
const SECURE = { secure: "v1:Zm9vYmFy:ZW5jcnlwdGVk" };
const BACKEND = "s3://acme-pulumi-state?region=eu-west-1";

interface Asked {
  command: string;
  input: Record<string, unknown>;
}

/** A fake SDK client: answers each command by its class name, records every call. */
function fake(asked: Asked[], answers: Record<string, () => unknown>): Sender {
  return {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const name = command.constructor.name;
      asked.push({ command: name, input: command.input });
      const answer = answers[name];
      if (!answer) throw new Error(`unexpected ${name}`);
      return answer();
    },
  };
}

function account(
  asked: Asked[],
  { quota = 1000, bucket = true, oidc = true } = {},
): () => Promise<PreflightClients> {
  return async () => ({
    serviceQuotas: fake(asked, { GetServiceQuotaCommand: () => ({ Quota: { Value: quota } }) }),
    s3: fake(asked, {
      HeadBucketCommand: () => {
        if (bucket) return {};
        throw Object.assign(new Error("Not Found"), { name: "NotFound" });
      },
    }),
    iam: fake(asked, {
      ListOpenIDConnectProvidersCommand: () => ({
        OpenIDConnectProviderList: oidc
          ? [{ Arn: "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com" }]
          : [],
      }),
    }),
  });
}

/** A project root with the repository's Pulumi.yaml and Pulumi.<stack>.yaml, edited by `edit`. */
async function projectWith(
  stack: string,
  edit: (config: Record<string, unknown>) => void,
): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), "preflight-"));
  onTestFinished(() => rm(root, { recursive: true, force: true }));
  await copyFile("Pulumi.yaml", path.join(root, "Pulumi.yaml"));
  const document = yaml.load(await readFile(`Pulumi.${stack}.yaml`, "utf8")) as {
    config: Record<string, unknown>;
  };
  edit(document.config);
  await writeFile(path.join(root, `Pulumi.${stack}.yaml`), yaml.dump(document));
  return root;
}

/** Pulumi.prod.yaml as a user leaves it before the first up: filled in, token set. */
const readyProd = () =>
  projectWith("prod", (config) => {
    Object.assign(config, FILLED_IN.prod, { [`${NS}:vendorToken`]: SECURE });
  });

const checksOf = (stdout: string) => (JSON.parse(stdout) as { checks: PreflightCheck[] }).checks;
const stateOf = (checks: PreflightCheck[], check: string) =>
  checks.find((c) => c.check.startsWith(check))?.state;

describe("ops preflight", () => {
  it("refuses Pulumi.prod.yaml as shipped: the placeholder alarm address and the missing token", async () => {
    const run = await runCli(["preflight", "--stack", "prod", "--offline", "--json"]);
    expect(run.code).toBe(1);
    const checks = checksOf(run.stdout);
    expect(checks.find((c) => c.check === "stack file Pulumi.prod.yaml")).toMatchObject({
      state: "problem",
      details: [
        expect.stringMatching(new RegExp(`^${NS}:alarmEmail: .*edit it in Pulumi\\.prod\\.yaml$`)),
      ],
    });
    expect(checks.find((c) => c.check === "vendor token")).toMatchObject({
      state: "problem",
      details: [expect.stringContaining("pulumi config set --secret vendorToken")],
    });
  });

  it("passes a filled-in prod stack whose account answers every check", async () => {
    const asked: Asked[] = [];
    const run = await runCli(["preflight", "--stack", "prod", "--backend", BACKEND], {
      root: await readyProd(),
      preflightClients: account(asked),
    });
    expect(run.stdout).toContain("ready for the first `pulumi up`");
    expect(run.code).toBe(0);
    expect(asked).toContainEqual({
      command: "GetServiceQuotaCommand",
      input: { ServiceCode: "lambda", QuotaCode: "L-B99A9384" },
    });
    expect(asked).toContainEqual({
      command: "HeadBucketCommand",
      input: { Bucket: "acme-pulumi-state" },
    });
  });

  it("names Service Quotas L-B99A9384 when a new account (quota 10) cannot give the reservation", async () => {
    const root = await projectWith("prod", (config) => {
      Object.assign(config, FILLED_IN.prod, {
        [`${NS}:vendorToken`]: SECURE,
        [`${NS}:ingress`]: "functionUrl",
        [`${NS}:receiverReservedConcurrency`]: 20,
      });
    });
    const run = await runCli(["preflight", "--stack", "prod", "--backend", BACKEND, "--json"], {
      root,
      preflightClients: account([], { quota: 10 }),
    });
    expect(run.code).toBe(1);
    const quota = checksOf(run.stdout).find((c) => c.check === "Lambda concurrency quota");
    expect(quota?.state).toBe("problem");
    expect(quota?.details[0]).toMatch(/is 10: 20 reserved concurrency needs .* at least 120/);
    expect(quota?.details[0]).toMatch(/quota code L-B99A9384/);
  });

  it("passes the default stack in a quota-10 account: it reserves nothing", async () => {
    const run = await runCli(["preflight", "--stack", "prod", "--backend", BACKEND, "--json"], {
      root: await readyProd(),
      preflightClients: account([], { quota: 10 }),
    });
    expect(stateOf(checksOf(run.stdout), "Lambda concurrency quota")).toBe("ok");
    expect(run.code).toBe(0);
  });

  it("says the state bucket and the OIDC provider are missing (bootstrap not run)", async () => {
    const run = await runCli(["preflight", "--stack", "prod", "--backend", BACKEND, "--json"], {
      root: await readyProd(),
      preflightClients: account([], { bucket: false, oidc: false }),
    });
    const checks = checksOf(run.stdout);
    expect(stateOf(checks, "Pulumi state bucket")).toBe("problem");
    expect(stateOf(checks, "GitHub OIDC provider")).toBe("problem");
    expect(run.code).toBe(1);
  });

  it("offline, says what it could not check and exits 0 when the stack file is ready", async () => {
    let asked = false;
    const run = await runCli(["preflight", "--stack", "prod", "--offline", "--json"], {
      root: await readyProd(),
      preflightClients: async () => {
        asked = true;
        throw new Error("no AWS offline");
      },
    });
    const checks = checksOf(run.stdout);
    expect(checks.filter((c) => c.state === "unchecked").map((c) => c.details[0])).toEqual([
      "not checked: --offline",
      "not checked: --offline",
      "not checked: --offline",
    ]);
    expect(asked).toBe(false);
    expect(run.code).toBe(0);
  });

  it("without credentials or network, says why each AWS check did not run and exits 1", async () => {
    const failing: Sender = {
      send: async () => {
        throw new Error("Could not load credentials from any providers");
      },
    };
    const run = await runCli(["preflight", "--stack", "prod", "--backend", BACKEND, "--json"], {
      root: await readyProd(),
      preflightClients: async () => ({ serviceQuotas: failing, s3: failing, iam: failing }),
    });
    const unchecked = checksOf(run.stdout).filter((c) => c.state === "unchecked");
    expect(unchecked.map((c) => c.check)).toEqual([
      "Pulumi state bucket",
      "GitHub OIDC provider",
      "Lambda concurrency quota",
    ]);
    expect(unchecked[0]?.details[0]).toBe(
      "could not check: Could not load credentials from any providers",
    );
    expect(run.code).toBe(1);
  });

  it("says which backend to name when none is given", async () => {
    const run = await runCli(["preflight", "--stack", "prod", "--json"], {
      root: await readyProd(),
      env: {},
      preflightClients: account([]),
    });
    const bucket = checksOf(run.stdout).find((c) => c.check === "Pulumi state bucket");
    expect(bucket).toMatchObject({ state: "unchecked" });
    expect(bucket?.details[0]).toMatch(/--backend s3:\/\/.*PULUMI_BACKEND_URL/);
    expect(run.code).toBe(1);
  });

  it("answers usage errors with exit 2: no stack, --outputs instead", async () => {
    expect((await runCli(["preflight"])).code).toBe(2);
    const outputs = await runCli(["preflight", "--outputs", "x.json"]);
    expect(outputs.code).toBe(2);
    expect(outputs.stderr).toContain("give --stack NAME, not --outputs");
  });

  it("names a stack file that does not exist and how to create it", async () => {
    const run = await runCli(["preflight", "--stack", "qa", "--offline"]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("Pulumi.qa.yaml");
    expect(run.stdout).toContain("pulumi stack init qa");
  });
});
