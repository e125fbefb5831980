/**
 * `npm run build`: bundles every Lambda handler into dist/bundles/<fn>/index.mjs with the options
 * the Pulumi program uses (infra/lambdaBundle.ts), and prints the sizes. The package ships these
 * files (lambdaBundle.ts, PREBUILT_BUNDLES_DIR, says why). Exits non-zero, naming the file, when a
 * handler is missing or does not bundle.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { BUNDLE_FILE, bundleHandler } from "../infra/lambdaBundle.js";
import { FUNCTIONS } from "../lambdas/contract.js";

/** dist/bundles: in the built package, PREBUILT_BUNDLES_DIR of dist/lib/ and dist/cjs/. */
export const BUNDLES_DIR = path.join("dist", "bundles");

/** Writes every function's bundle; false when one failed (each failure is printed). */
export async function writeBundles(outDir = BUNDLES_DIR): Promise<boolean> {
  let ok = true;
  for (const fn of Object.values(FUNCTIONS)) {
    try {
      const { code, bytes } = await bundleHandler(fn);
      const file = path.join(outDir, fn, BUNDLE_FILE);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, code);
      console.log(`${file.padEnd(36)} ${(bytes / 1024).toFixed(1).padStart(8)} KiB`);
    } catch (error) {
      ok = false;
      console.error(
        `build failed for ${fn}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  return ok;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  if (!(await writeBundles())) process.exitCode = 1;
}
