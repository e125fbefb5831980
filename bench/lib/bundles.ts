import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { type BuildOptions, build, type Metafile } from "esbuild";
import { bundleOptions } from "../../infra/lambdaBundle.js";

/**
 * Builds benchmark bundles with the Pulumi program's esbuild options (infra/lambdaBundle.ts
 * bundleOptions: ESM, minified, node22, SDK bundled), optionally changed, and writes them under
 * dist/bench/ (ignored by git). They live inside the repository so a bundle that leaves a package
 * external still resolves it from node_modules, as a Lambda resolves the runtime's SDK.
 */

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const OUT_ROOT = new URL("../../dist/bench/", import.meta.url);

export interface BuiltBundle {
  name: string;
  file: string;
  bytes: number;
  gzipBytes: number;
  metafile: Metafile;
}

/** What to bundle: a file, or generated source resolved from the repository root. */
export type BundleEntry = { file: string } | { source: string };

export async function buildBundle(
  name: string,
  entry: BundleEntry,
  change: Partial<BuildOptions> = {},
): Promise<BuiltBundle> {
  const base = bundleOptions("file" in entry ? entry.file : "stdin.ts");
  const options: BuildOptions & { write: false } = {
    ...base,
    ...change,
    ...("source" in entry
      ? {
          entryPoints: undefined,
          stdin: {
            contents: entry.source,
            resolveDir: REPO_ROOT,
            loader: "ts",
            sourcefile: `${name}.ts`,
          },
        }
      : {}),
    metafile: true,
    write: false,
  };
  const result = await build(options);
  const [output] = result.outputFiles;
  if (!output || !result.metafile) throw new Error(`esbuild produced no output for ${name}`);
  const file = fileURLToPath(new URL(`${name}/index.mjs`, OUT_ROOT));
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, output.contents);
  return {
    name,
    file,
    bytes: output.contents.byteLength,
    gzipBytes: gzipSync(output.contents).byteLength,
    metafile: result.metafile,
  };
}

/** Which family an input file belongs to, for the "where do the bytes come from" table. */
export function familyOf(inputPath: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(inputPath);
  if (!match) return inputPath.startsWith("lambdas/") ? "project code (lambdas/)" : "other";
  const pkg = match[1] as string;
  if (pkg.startsWith("@aws-sdk/") || pkg.startsWith("@smithy/")) {
    return pkg === "@aws-sdk/lib-dynamodb" || pkg === "@aws-sdk/util-dynamodb"
      ? "@aws-sdk/lib-dynamodb + util-dynamodb"
      : "AWS SDK v3 core and clients (@aws-sdk/*, @smithy/*)";
  }
  if (pkg.startsWith("@aws-lambda-powertools/")) return "Powertools (@aws-lambda-powertools/*)";
  return pkg;
}

/** Output bytes per family, largest first. */
export function bytesByFamily(bundle: BuiltBundle): [string, number][] {
  const [output] = Object.values(bundle.metafile.outputs);
  const totals = new Map<string, number>();
  for (const [path, info] of Object.entries(output?.inputs ?? {})) {
    const family = familyOf(path);
    totals.set(family, (totals.get(family) ?? 0) + info.bytesInOutput);
  }
  return [...totals].sort((a, b) => b[1] - a[1]);
}
