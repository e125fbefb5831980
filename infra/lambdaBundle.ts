import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as pulumi from "@pulumi/pulumi";
import { type BuildOptions, build } from "esbuild";
import type { FunctionName } from "../lambdas/contract.js";

/**
 * How a Lambda's code is built: one esbuild bundle per handler, lambdas/handlers/<fn>.ts →
 * index.mjs. The Pulumi program bundles in-process (so `pulumi up` always ships the current code,
 * and identical sources give identical bytes, hence no spurious diffs); `npm run build` uses the
 * same options to write dist/<fn>/index.mjs for inspection.
 *
 * Paths are found from this file, never from the working directory, so a program that installed
 * the package bundles the package's own handlers: from this repository, infra/ → lambdas/ (the
 * TypeScript sources); from the built package, dist/lib/infra/ → dist/lib/lambdas/ (the JavaScript
 * tsc made of them, which esbuild bundles the same way).
 */

/** Where the handler entry points live, relative to the package root. */
export const HANDLERS_DIR = "lambdas/handlers";

/** The folder holding infra/ and lambdas/: the repository, or dist/lib/ in the built package. */
export const PACKAGE_ROOT = fileURLToPath(new URL("..", import.meta.url));

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
  const result = await build(bundleOptions(handlerEntry(fn, location)));
  const [output] = result.outputFiles;
  if (!output) throw new Error(`esbuild produced no output for "${fn}"`);
  return { code: output.text, bytes: output.contents.byteLength };
}

/**
 * The Lambda code archive of one function, bundled now. A missing handler fails at once (with the
 * file name); a bundling error fails the deployment with esbuild's message.
 *
 * @param files data files to put beside index.mjs (name → content), e.g. the responder's reply
 *   rules: a file in the archive has no size limit but the archive's, unlike the 4 KB of env.
 */
export function lambdaArchive(
  fn: FunctionName,
  location: BundleLocation = {},
  files: Readonly<Record<string, string>> = {},
): pulumi.asset.Archive {
  handlerEntry(fn, location);
  for (const name of Object.keys(files)) {
    if (name === BUNDLE_FILE || path.basename(name) !== name) {
      throw new Error(`Lambda "${fn}": cannot add data file "${name}" beside ${BUNDLE_FILE}`);
    }
  }
  return new pulumi.asset.AssetArchive(
    bundleHandler(fn, location).then(({ code }) => ({
      [BUNDLE_FILE]: new pulumi.asset.StringAsset(code),
      ...Object.fromEntries(
        Object.entries(files).map(([name, content]) => [
          name,
          new pulumi.asset.StringAsset(content),
        ]),
      ),
    })),
  );
}
