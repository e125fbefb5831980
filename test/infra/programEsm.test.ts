import { beforeAll, describe, expect, it } from "vitest";
import { BUNDLE_FILE } from "../../infra/lambdaBundle.js";
import { type ProgramRun, runProgramForStack } from "./support/programRun.js";

const TOKEN = "native-esm-run-token-51c2";
let registered: ProgramRun["registered"];
let archives: ProgramRun["archives"];

// vitest loads modules its own way; this runs the program as Pulumi.yaml tells `pulumi up` to:
// `node --import tsx infra/index.ts`.
beforeAll(async () => {
  ({ registered, archives } = await runProgramForStack("dev", {
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
      expect(archive?.files).toEqual([BUNDLE_FILE]);
      expect(archive?.text).toMatch(/^import\s*\{\s*createRequire/);
      expect(archive?.text).toMatch(/export\s*\{[^}]*\bhandler\b/);
      expect(archive?.text).not.toMatch(/from\s*"@aws-sdk\//);
    },
  );

  it("serialises the VendorWebhook provider without the vendor token", () => {
    const [webhook] = registered.filter(
      (r) => r.type === "pulumi-nodejs:dynamic/whatsable:VendorWebhook",
    );
    expect(webhook?.provider).toMatch(/^exports\.handler = /);
    expect(webhook?.provider).not.toContain(TOKEN);
  });
});
