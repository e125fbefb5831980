import { existsSync, globSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { UNIT_MUST_NOT_REACH, UNIT_TESTS } from "./projects.js";

/**
 * The guard of the unit/integration split (test/support/projects.ts): a file listed as unit must
 * not reach the local services through its imports, so the fast run (`npm run test:unit`, no
 * services) never holds a test that needs them, and no listed glob is stale.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const FORBIDDEN = new Map(UNIT_MUST_NOT_REACH.map((entry) => [entry.module, entry.why]));

const importsOf = new Map<string, string[]>();

/** The module specifiers a file loads at run time (parsed once per file for all unit files). */
function runtimeImports(file: string): string[] {
  let specifiers = importsOf.get(file);
  if (!specifiers) {
    specifiers = parseRuntimeImports(file);
    importsOf.set(file, specifiers);
  }
  return specifiers;
}

/** The module specifiers a file loads at run time: type-only imports and exports left out. */
function parseRuntimeImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest);
  const specifiers: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly) {
      const named = node.importClause?.namedBindings;
      const onlyTypes =
        named !== undefined &&
        ts.isNamedImports(named) &&
        node.importClause?.name === undefined &&
        named.elements.length > 0 &&
        named.elements.every((element) => element.isTypeOnly);
      if (!onlyTypes && ts.isStringLiteral(node.moduleSpecifier)) {
        specifiers.push(node.moduleSpecifier.text);
      }
    } else if (
      ts.isExportDeclaration(node) &&
      !node.isTypeOnly &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      specifiers.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      specifiers.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specifiers;
}

/** Whether a file takes `inject` from vitest: the run's shared services (globalSetup). */
function injectsServices(file: string): boolean {
  return /import\s*\{[^}]*\binject\b[^}]*\}\s*from\s*["']vitest["']/.test(
    readFileSync(file, "utf8"),
  );
}

/** A relative specifier as a repository file (.js written for .ts), or undefined. */
function resolveRelative(from: string, specifier: string): string | undefined {
  const base = join(dirname(from), specifier);
  const candidates = [base, base.replace(/\.js$/, ".ts"), `${base}.ts`, join(base, "index.ts")];
  return candidates.find((candidate) => candidate.endsWith(".ts") && existsSync(candidate));
}

/** The package a bare specifier names ("@scope/name/sub" → "@scope/name"). */
function packageOf(specifier: string): string {
  const parts = specifier.split("/");
  return parts.slice(0, specifier.startsWith("@") ? 2 : 1).join("/");
}

/** The first forbidden module a test file reaches, as the import chain leading to it. */
function forbiddenReach(testFile: string): string[] | undefined {
  const seen = new Set<string>();
  const queue: { file: string; chain: string[] }[] = [{ file: testFile, chain: [] }];
  while (queue.length > 0) {
    const { file, chain } = queue.shift() as { file: string; chain: string[] };
    if (seen.has(file)) continue;
    seen.add(file);
    const here = [...chain, relative(ROOT, file)];
    if (FORBIDDEN.has(relative(ROOT, file))) return here;
    if (injectsServices(file)) return [...here, 'inject() from "vitest"'];
    for (const specifier of runtimeImports(file)) {
      if (specifier.startsWith(".")) {
        const next = resolveRelative(file, specifier);
        if (next) queue.push({ file: next, chain: here });
      } else if (FORBIDDEN.has(packageOf(specifier))) {
        return [...here, packageOf(specifier)];
      }
    }
  }
  return undefined;
}

const unitFiles = [...new Set(UNIT_TESTS.flatMap((glob) => globSync(glob, { cwd: ROOT })))].sort();

describe("the unit project", () => {
  it("lists only globs that match a test file", () => {
    const stale = UNIT_TESTS.filter((glob) => globSync(glob, { cwd: ROOT }).length === 0);
    expect(stale).toEqual([]);
  });

  it.each(unitFiles)("%s does not reach the local services", (file) => {
    const chain = forbiddenReach(join(ROOT, file));
    const why = chain ? FORBIDDEN.get(chain.at(-1) ?? "") : undefined;
    expect(
      chain,
      chain &&
        `${file} is listed as unit in test/support/projects.ts but needs the local services ` +
          `(${chain.join(" → ")}${why ? `: ${why}` : ""}); remove it from UNIT_TESTS, it then ` +
          "runs as an integration test",
    ).toBeUndefined();
  });
});
