import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

/**
 * What package.json promises a host program. A Pulumi program must hold one @pulumi/pulumi (two
 * copies register resources with two runtimes that do not know each other) and one @pulumi/aws:
 * so both are peer dependencies with ranges, which the host's own install satisfies, never exact
 * dependencies of the package. This repository pins, for itself, the versions it tests with.
 */

const pkg = JSON.parse(readFileSync("package.json", "utf8")) as {
  dependencies: Record<string, string>;
  peerDependencies?: Record<string, string>;
  devDependencies: Record<string, string>;
};
const SDKS = ["@pulumi/pulumi", "@pulumi/aws"];

describe("the Pulumi SDKs the package uses", () => {
  it.each(SDKS)("are the host's: %s is a peer dependency, not a dependency", (name) => {
    expect(pkg.dependencies[name]).toBeUndefined();
    expect(pkg.peerDependencies?.[name]).toBeDefined();
  });

  it.each(SDKS)("admit a range of versions, from the one this repository tests (%s)", (name) => {
    const range = pkg.peerDependencies?.[name] ?? "";
    const tested = pkg.devDependencies[name] ?? "";
    expect(range).toMatch(/^\^\d+\.\d+\.\d+$/);
    expect(range).toBe(`^${tested}`);
  });
});
