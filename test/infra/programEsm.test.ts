import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { BUNDLE_FILE } from "../../infra/lambdaBundle.js";
import { RULES_BUNDLE_FILE } from "../../lambdas/contract.js";
import { type ProgramRun, runProgramForStack } from "./support/programRun.js";

const TOKEN = "native-esm-run-token-51c2";
let registered: ProgramRun["registered"];
let archives: ProgramRun["archives"];
/** Far above the 4 KB Lambda allows for a whole environment. */
const LARGE_RULES = "test/fixtures/rules/large.json";

// vitest loads modules its own way; this runs the program as Pulumi.yaml tells `pulumi up` to:
// `node --import tsx infra/index.ts`.
beforeAll(async () => {
  ({ registered, archives } = await runProgramForStack("dev", {
    "whatsable-replies:replyRules": undefined,
    "whatsable-replies:replyRulesFile": LARGE_RULES,
    "whatsable-replies:vendorToken": TOKEN,
  }));
}, 150_000);

describe("Pulumi program in native ESM (as `pulumi up` loads it)", () => {
  it("registers the whole stack", () => {
    expect(registered.filter((r) => r.type === "aws:lambda/function:Function")).toHaveLength(3);
    expect(registered.filter((r) => r.type.startsWith("aws:")).length).toBeGreaterThan(40);
  });

  it.each(["receiver", "responder", "sender"])(
    "ships %s's current code: an ESM bundle of its handler, AWS SDK inside",
    (fn) => {
      const archive = archives[fn];
      expect(archive?.files[0]).toEqual(BUNDLE_FILE);
      expect(archive?.text).toMatch(/^import\s*\{\s*createRequire/);
      expect(archive?.text).toMatch(/export\s*\{[^}]*\bhandler\b/);
      expect(archive?.text).not.toMatch(/from\s*"@aws-sdk\//);
    },
  );

  it("deploys a rules file far above 4 KB inside the responder's archive, beside its code", () => {
    const expected = readFileSync(LARGE_RULES, "utf8");
    expect(expected.length).toBeGreaterThan(64 * 1024);
    expect(archives.responder?.files).toEqual([BUNDLE_FILE, RULES_BUNDLE_FILE]);
    expect(JSON.parse(archives.responder?.data[RULES_BUNDLE_FILE] ?? "")).toEqual(
      JSON.parse(expected),
    );
    expect(archives.receiver?.files).toEqual([BUNDLE_FILE]);
    expect(archives.sender?.files).toEqual([BUNDLE_FILE]);
  });

  it("serialises the VendorWebhook provider without the vendor token", () => {
    const [webhook] = registered.filter(
      (r) => r.type === "pulumi-nodejs:dynamic/whatsable:VendorWebhook",
    );
    expect(webhook?.provider).toMatch(/^exports\.handler = /);
    expect(webhook?.provider).not.toContain(TOKEN);
  });
});
