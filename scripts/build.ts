/**
 * `npm run build`: bundles every Lambda handler into dist/<fn>/index.mjs with the options the
 * Pulumi program uses (infra/lambdaBundle.ts), and prints the sizes. Exits non-zero, naming the
 * file, when a handler is missing or does not bundle.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { BUNDLE_FILE, bundleHandler } from "../infra/lambdaBundle.js";
import { FUNCTIONS } from "../lambdas/contract.js";

const OUT_DIR = "dist";

async function main(): Promise<void> {
  let failed = false;
  for (const fn of Object.values(FUNCTIONS)) {
    try {
      const { code, bytes } = await bundleHandler(fn);
      const file = path.join(OUT_DIR, fn, BUNDLE_FILE);
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, code);
      console.log(`${file.padEnd(28)} ${(bytes / 1024).toFixed(1).padStart(8)} KiB`);
    } catch (error) {
      failed = true;
      console.error(
        `build failed for ${fn}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  if (failed) process.exitCode = 1;
}

await main();
