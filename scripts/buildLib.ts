/**
 * `npm run build:lib` (and `npm pack`, through prepack): the package's files, in dist/.
 *
 *   dist/lib/      ES modules with declarations (tsc -p tsconfig.lib.json): infra/lib.ts, the
 *                  entry, and all of ops/, whose cli.js is the bin `whatsable-ops`
 *   dist/cjs/      the entry's modules again as CommonJS, declarations beside them, for `require`
 *                  and for CommonJS hosts such as the one `pulumi new aws-typescript` makes
 *   dist/bundles/  each Lambda's code, bundled once here (`npm run build`)
 *
 * CommonJS is made from tsc's output file by file with esbuild (no bundling, so every module
 * keeps its place and lambdaBundle.ts finds dist/bundles from its own file); `import.meta.url`,
 * which CommonJS lacks, becomes the file's own URL from `__filename`.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { build } from "esbuild";
import { BUNDLES_DIR, writeBundles } from "./build.js";

const ESM_DIR = path.join("dist", "lib");
const CJS_DIR = path.join("dist", "cjs");
/** Modules that only the bin needs: it runs as ES modules, so they get no CommonJS copy. */
const ESM_ONLY = /^ops\//;

for (const dir of [ESM_DIR, CJS_DIR, BUNDLES_DIR]) rmSync(dir, { recursive: true, force: true });

const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
execFileSync(process.execPath, [tsc, "-p", "tsconfig.lib.json"], { stdio: "inherit" });

const built = readdirSync(ESM_DIR, { recursive: true, encoding: "utf8" })
  .map((file) => file.split(path.sep).join("/"))
  .filter((file) => !ESM_ONLY.test(file));
await build({
  entryPoints: built.filter((file) => file.endsWith(".js")).map((f) => path.join(ESM_DIR, f)),
  outdir: CJS_DIR,
  outbase: ESM_DIR,
  format: "cjs",
  platform: "node",
  target: "node22",
  bundle: false,
  define: { "import.meta.url": "__importMetaUrl" },
  banner: {
    js: '"use strict";\nconst __importMetaUrl = require("node:url").pathToFileURL(__filename).href;',
  },
  logLevel: "warning",
});
for (const file of built.filter((f) => f.endsWith(".d.ts"))) {
  mkdirSync(path.dirname(path.join(CJS_DIR, file)), { recursive: true });
  copyFileSync(path.join(ESM_DIR, file), path.join(CJS_DIR, file));
}
// The package is "type": "module"; this makes dist/cjs's .js (and .d.ts) CommonJS to Node and tsc.
writeFileSync(path.join(CJS_DIR, "package.json"), `${JSON.stringify({ type: "commonjs" })}\n`);

if (!(await writeBundles())) process.exit(1);
