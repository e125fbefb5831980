import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import type { BuildOptions } from "esbuild";
import type { FunctionName } from "../lambdas/contract.js";

/**
 * How a Lambda's code is built: one esbuild bundle per handler, lambdas/handlers/<fn>.ts →
 * index.mjs. In this repository the Pulumi program bundles in-process (so `pulumi up` always ships
 * the current code, and identical sources give identical bytes, hence no spurious diffs);
 * `npm run build` uses the same options to write dist/bundles/<fn>/index.mjs.
 *
 * The package ships those bundles (dist/bundles, made by `npm pack`) and a program that installed
 * it deploys them as they are: the code hash is the same in every host whatever its lockfile
 * resolves the SDK's transitive dependencies to, the code deployed is the code this repository's
 * tests ran, and the host needs neither esbuild nor the handlers' dependencies at `pulumi up`.
 *
 * Paths are found from this file, never from the working directory: from this repository,
 * infra/ → lambdas/ (the TypeScript sources); from the built package, dist/lib/infra/ (or
 * dist/cjs/infra/) → dist/bundles/.
 */

/** Where the handler entry points live, relative to the package root. */
const HANDLERS_DIR = "lambdas/handlers";

/** The folder holding infra/ and lambdas/: the repository, or dist/lib/ in the built package. */
const PACKAGE_ROOT = fileURLToPath(new URL("..", import.meta.url));

/** A module of the package by its path without extension: the .ts source, else tsc's .js. */
function packageModule(relative: string, root = PACKAGE_ROOT): string | undefined {
  for (const extension of [".ts", ".js"]) {
    const file = path.resolve(root, `${relative}${extension}`);
    if (existsSync(file)) return file;
  }
  return undefined;
}

/** File name of the bundle inside the Lambda archive; the handler is `index.handler`. */
export const BUNDLE_FILE = "index.mjs";

/** Where the built package keeps the Lambda bundles: dist/bundles/<fn>/index.mjs. */
const PREBUILT_BUNDLES_DIR = path.resolve(PACKAGE_ROOT, "..", "bundles");

/**
 * The bundle the package shipped for a function: only where the handler's source is absent (the
 * installed package), so that this repository always deploys its current code.
 */
function prebuiltBundle(fn: FunctionName | string): string | undefined {
  if (packageModule(path.join(HANDLERS_DIR, fn))) return undefined;
  const file = path.join(PREBUILT_BUNDLES_DIR, fn, BUNDLE_FILE);
  return existsSync(file) ? file : undefined;
}

/**
 * Dependencies that ship only CommonJS (e.g. Powertools' deps) may call `require` for node:
 * built-ins; ESM has none.
 */
const REQUIRE_SHIM =
  'import { createRequire as __createRequire } from "node:module"; const require = __createRequire(import.meta.url);';

/**
 * Replaces the SDK's default credential chain in every bundle with the environment provider
 * (lambdas/runtime/envCredentialChain.ts explains why).
 */
const ENV_CREDENTIAL_CHAIN =
  packageModule("lambdas/runtime/envCredentialChain") ??
  path.resolve(PACKAGE_ROOT, "lambdas/runtime/envCredentialChain.ts");

export interface BundleLocation {
  /** Root the handlers folder is relative to; default PACKAGE_ROOT (not the working directory). */
  root?: string;
  /** Directory of the handler entry points, relative to root; default HANDLERS_DIR. */
  handlersDir?: string;
}

/** A handler that cannot be bundled because its entry point is missing. */
export class MissingHandlerError extends Error {
  constructor(fn: string, entry: string) {
    super(
      `Lambda "${fn}" cannot be built: its handler ${entry} does not exist. ` +
        `Each function needs ${HANDLERS_DIR}/<name>.ts exporting \`handler\`.`,
    );
    this.name = "MissingHandlerError";
  }
}

/** The handler entry of a function; throws MissingHandlerError naming the file when absent. */
export function handlerEntry(fn: FunctionName | string, location: BundleLocation = {}): string {
  const relative = path.join(location.handlersDir ?? HANDLERS_DIR, fn);
  const entry = packageModule(relative, location.root ?? PACKAGE_ROOT);
  if (!entry) throw new MissingHandlerError(fn, `${relative}.ts`);
  return entry;
}

/**
 * esbuild options for one function: ESM, minified, node22, AWS SDK bundled (not the runtime's),
 * dependencies taken from their ESM builds, the SDK's credential chain cut to the environment.
 */
export function bundleOptions(entry: string): BuildOptions & { write: false } {
  return {
    entryPoints: [entry],
    outfile: BUNDLE_FILE,
    bundle: true,
    write: false,
    format: "esm",
    platform: "node",
    target: "node22",
    minify: true,
    // The runtime's SDK version drifts; AWS recommends bundling the SDK you tested with.
    external: [],
    // Prefer a package's ESM build (`module`) to its CommonJS one (`main`): esbuild can drop the
    // unused exports of ESM only, which cuts the SDK's share by about a third and INIT with it
    // (docs/benchmarks.md, "Decisions", option A).
    mainFields: ["module", "main"],
    alias: { "@aws-sdk/credential-provider-node": ENV_CREDENTIAL_CHAIN },
    banner: { js: REQUIRE_SHIM },
    legalComments: "none",
    logLevel: "silent",
    metafile: false,
  };
}

/** Bundles one handler; resolves to the code of index.mjs. */
export async function bundleHandler(
  fn: FunctionName | string,
  location: BundleLocation = {},
): Promise<{ code: string; bytes: number }> {
  // Imported here, not at the top: the installed package deploys its prebuilt bundles and has no
  // esbuild (a dependency of this repository's development only).
  const { build } = await import("esbuild");
  const result = await build(bundleOptions(handlerEntry(fn, location)));
  const [output] = result.outputFiles;
  if (!output) throw new Error(`esbuild produced no output for "${fn}"`);
  return { code: output.text, bytes: output.contents.byteLength };
}

/**
 * The Lambda code archive of one function: the package's prebuilt bundle, or (in this repository,
 * or with a location of its own) the handler bundled now. A missing handler fails at once (with
 * the file name); a bundling error fails the deployment with esbuild's message.
 *
 * @param files data files to put beside index.mjs (name → content), e.g. the responder's reply
 *   rules: a file in the archive has no size limit but the archive's, unlike the 4 KB of env.
 */
export function lambdaArchive(
  fn: FunctionName,
  location: BundleLocation = {},
  files: Readonly<Record<string, string>> = {},
): pulumi.asset.Archive {
  const prebuilt =
    location.root === undefined && location.handlersDir === undefined
      ? prebuiltBundle(fn)
      : undefined;
  if (!prebuilt) handlerEntry(fn, location);
  for (const name of Object.keys(files)) {
    if (name === BUNDLE_FILE || path.basename(name) !== name) {
      throw new Error(`Lambda "${fn}": cannot add data file "${name}" beside ${BUNDLE_FILE}`);
    }
  }
  const code = prebuilt
    ? readFile(prebuilt, "utf8")
    : bundleHandler(fn, location).then((bundled) => bundled.code);
  return new pulumi.asset.AssetArchive(
    code.then((text) => ({
      [BUNDLE_FILE]: new pulumi.asset.StringAsset(text),
      ...Object.fromEntries(
        Object.entries(files).map(([name, content]) => [
          name,
          new pulumi.asset.StringAsset(content),
        ]),
      ),
    })),
  );
}
