import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import jsonc from "jsonc-parser";
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import {
  checkStackConfig,
  rulesOfStackConfig,
  type SettingsProblem,
} from "../../infra/settings.js";
import { describeProblem, ReplyRulesError, type RuleProblem } from "../../lambdas/core/errors.js";
import { parseReplyRules } from "../../lambdas/core/replyRules.js";
import type { ReplyRuleDocument } from "../../lambdas/core/ruleDocument.js";
import type { Command, CommandResult } from "../command.js";
import { messageOf, UsageError } from "../errors.js";
import { rawStackConfig } from "../stackFile.js";

/**
 * `validate`: checks a reply rules file and stack files without deploying and without any
 * service: every problem in one run, each with its file, line and column, the rule and the field.
 * The checks are the ones `pulumi preview` and the responder run (parseReplyRules,
 * checkStackConfig in infra/settings.ts); this command only reads the files and points into them.
 * Positions come from parsers that keep them: jsonc-parser (the JSON of rules files; JSON.parse
 * gives none) and yaml (stack files; the test support's js-yaml keeps none either).
 */

/** One problem, where it is. */
interface FileProblem {
  file: string;
  /** 1-based; absent when the problem is the file's as a whole (a missing key). */
  line?: number;
  column?: number;
  /** The stack file's config key (`whatsable-replies:maxReceiveCount`). */
  key?: string;
  rule?: number;
  ruleName?: string;
  field?: string;
  message: string;
}

interface FileReport {
  file: string;
  kind: "rules" | "stack";
  problems: FileProblem[];
  /** What was found valid: "4 reply rules", "12 settings, 2 reply rules". */
  summary?: string;
}

type PathSegment = string | number;

/** "messages[1].delay" → ["messages", 1, "delay"]. */
function fieldSegments(field: string | undefined): PathSegment[] {
  if (!field) return [];
  return [...field.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) =>
    m[2] === undefined ? (m[1] ?? "") : Number(m[2]),
  );
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - (before.lastIndexOf("\n") + 1) + 1 };
}

/** The offset of the deepest node of `segments` that exists (a property's key, for an object's). */
function jsonOffset(root: jsonc.Node | undefined, segments: PathSegment[]): number | undefined {
  if (!root) return undefined;
  for (let length = segments.length; length >= 0; length--) {
    const node = jsonc.findNodeAtLocation(root, segments.slice(0, length));
    if (!node) continue;
    return node.parent?.type === "property" ? node.parent.offset : node.offset;
  }
  return undefined;
}

const JSON_ERRORS: Record<string, string> = {
  InvalidSymbol: "invalid symbol",
  InvalidNumberFormat: "invalid number",
  PropertyNameExpected: 'a property name in "double quotes" expected',
  ValueExpected: "a value expected",
  ColonExpected: '":" expected',
  CommaExpected: '"," expected',
  CloseBraceExpected: '"}" expected',
  CloseBracketExpected: '"]" expected',
  EndOfFileExpected: "end of file expected",
  InvalidCommentToken: "comments are not JSON",
  UnexpectedEndOfComment: "comments are not JSON",
  UnexpectedEndOfString: "unterminated string",
  UnexpectedEndOfNumber: "unterminated number",
  InvalidUnicode: "invalid unicode escape",
  InvalidEscapeCharacter: "invalid escape character",
  InvalidCharacter: "invalid character in a string",
};

/** A JSON text's syntax problems (every one, with its position), and its tree. */
function parseJson(file: string, text: string): { tree?: jsonc.Node; problems: FileProblem[] } {
  const errors: jsonc.ParseError[] = [];
  const tree = jsonc.parseTree(text, errors, {
    disallowComments: true,
    allowTrailingComma: false,
    allowEmptyContent: false,
  });
  // One problem per place: a trailing comma is both "name expected" and "value expected".
  const firstAtEachOffset = errors.filter(
    (error, i) => errors.findIndex((other) => other.offset === error.offset) === i,
  );
  const problems = firstAtEachOffset.map((error) => {
    const code = jsonc.printParseErrorCode(error.error);
    return {
      file,
      ...lineColumn(text, error.offset),
      message: `not valid JSON: ${JSON_ERRORS[code] ?? code}`,
    };
  });
  return { tree, problems };
}

function ruleFields(problem: RuleProblem) {
  return {
    ...(problem.ruleIndex === undefined ? {} : { rule: problem.ruleIndex }),
    ...(problem.ruleName === undefined ? {} : { ruleName: problem.ruleName }),
    ...(problem.field === undefined ? {} : { field: problem.field }),
  };
}

/** A rules file as the responder reads it (`--rules` of npm start; a stack's replyRulesFile). */
function checkRulesFile(file: string, text: string): FileReport {
  const { tree, problems } = parseJson(file, text);
  if (problems.length > 0) return { file, kind: "rules", problems };
  try {
    const rules = parseReplyRules(JSON.parse(text));
    return { file, kind: "rules", problems: [], summary: `${rules.length} reply rules` };
  } catch (error) {
    if (!(error instanceof ReplyRulesError)) throw error;
    return {
      file,
      kind: "rules",
      problems: error.problems.map((p) => {
        const offset = jsonOffset(tree, [
          ...(p.ruleIndex === undefined ? [] : [p.ruleIndex]),
          ...fieldSegments(p.field),
        ]);
        return {
          file,
          ...(offset === undefined ? {} : lineColumn(text, offset)),
          ...ruleFields(p),
          message: describeProblem(p),
        };
      }),
    };
  }
}

/** Where `segments` lead in a YAML document: the deepest existing key or item's start. */
function yamlOffset(root: unknown, segments: PathSegment[]): number | undefined {
  let node = root;
  let offset = (root as Node | null)?.range?.[0];
  for (const segment of segments) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && item.key.value === segment);
      if (!pair) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment] as Node | undefined;
      if (!item) break;
      offset = item.range?.[0] ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset;
}

/** The project's name (the namespace of its config keys), from the Pulumi.yaml beside the file. */
function projectName(stackFile: string): string {
  const projectFile = path.join(path.dirname(stackFile), "Pulumi.yaml");
  let text: string;
  try {
    text = readFileSync(projectFile, "utf8");
  } catch {
    throw new UsageError(
      `validate: no Pulumi.yaml beside ${stackFile}: the project's name (its config keys' prefix) is unknown`,
    );
  }
  const name = (parseDocument(text).toJS() as { name?: unknown } | null)?.name;
  if (typeof name !== "string" || name === "") {
    throw new UsageError(`validate: ${projectFile} has no project name`);
  }
  return name;
}

/**
 * The reply rules of a rules JSON file or of a stack file (its replyRules or replyRulesFile),
 * checked as the responder checks them. @throws UsageError naming the file and its problems
 */
export function readRulesDocument(option: string, file: string): ReplyRuleDocument[] {
  const text = readText(option, file);
  const problems: string[] = [];
  if (/\.ya?ml$/i.test(file)) {
    const document = parseDocument(text);
    const config = (document.toJS() as { config?: unknown } | null)?.config;
    if (document.errors.length > 0 || typeof config !== "object" || config === null) {
      throw new UsageError(`${option} ${file}: not a stack file with a config: map (validate it)`);
    }
    const rules = rulesOfStackConfig(
      rawStackConfig(config as Record<string, unknown>, projectName(file), path.basename(file)),
      path.dirname(file),
    );
    if (rules.ok) return rules.document;
    problems.push(...rules.problems);
  } else {
    const report = checkRulesFile(file, text);
    if (report.problems.length === 0) return JSON.parse(text) as ReplyRuleDocument[];
    problems.push(...report.problems.map((p) => p.message));
  }
  throw new UsageError(
    `${option} ${file} has problems (see npm run ops -- validate):\n  - ${problems.join("\n  - ")}`,
  );
}

/**
 * A stack file `Pulumi.<stack>.yaml`, checked as `pulumi preview` checks the configuration: its
 * values reach the check as the Pulumi runtime hands them to the program (strings as they are,
 * other values as JSON text); `secure:` values count as set and encrypted, never decrypted.
 */
function checkStackFile(file: string, text: string): FileReport {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  const at = (offset: number | undefined) => {
    if (offset === undefined) return {};
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  if (document.errors.length > 0) {
    return {
      file,
      kind: "stack",
      problems: document.errors.map((error) => ({
        file,
        ...at(error.pos[0]),
        message: `not valid YAML: ${error.message.split("\n")[0]}`,
      })),
    };
  }
  const config = (document.toJS() as { config?: unknown } | null)?.config ?? {};
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    return {
      file,
      kind: "stack",
      problems: [
        {
          file,
          ...at(yamlOffset(document.contents, ["config"])),
          message: "config: must be a map of keys",
        },
      ],
    };
  }
  const raw = rawStackConfig(
    config as Record<string, unknown>,
    projectName(file),
    path.basename(file),
  );
  const root = path.dirname(file);
  const { settings, details } = checkStackConfig(raw, root);
  const rulesFiles = new Map<string, { text: string; tree?: jsonc.Node }>();
  const rulesFileOf = (relative: string) => {
    let entry = rulesFiles.get(relative);
    if (!entry) {
      const text = readFileSync(path.resolve(root, relative), "utf8");
      entry = { text, tree: parseJson(relative, text).tree };
      rulesFiles.set(relative, entry);
    }
    return entry;
  };
  const problems = details.map((detail: SettingsProblem): FileProblem => {
    const rule = detail.rule ? ruleFields(detail.rule) : {};
    if (detail.rulesFile !== undefined && detail.rule) {
      const rulesPath = path.join(root, detail.rulesFile);
      const { text: rulesText, tree } = rulesFileOf(detail.rulesFile);
      const offset = jsonOffset(tree, [
        ...(detail.rule.ruleIndex === undefined ? [] : [detail.rule.ruleIndex]),
        ...fieldSegments(detail.rule.field),
      ]);
      return {
        file: rulesPath,
        ...(offset === undefined ? {} : lineColumn(rulesText, offset)),
        key: detail.key,
        ...rule,
        message: detail.text,
      };
    }
    const segments: PathSegment[] = detail.rule
      ? [
          ...(detail.rule.ruleIndex === undefined ? [] : [detail.rule.ruleIndex]),
          ...fieldSegments(detail.rule.field),
        ]
      : (detail.path ?? []);
    const present = Object.hasOwn(config, detail.key);
    return {
      file,
      ...at(
        yamlOffset(document.contents, present ? ["config", detail.key, ...segments] : ["config"]),
      ),
      key: detail.key,
      ...rule,
      message: detail.text,
    };
  });
  const summary = settings
    ? `${Object.keys(config).length} keys, ${settings.replyRules.length} reply rules`
    : undefined;
  return { file, kind: "stack", problems, ...(summary ? { summary } : {}) };
}

function readText(option: string, file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `validate: ${option} ${file}: ${code === "ENOENT" ? "no such file" : messageOf(error)}`,
    );
  }
}

/** The stack files of the project in `directory` (what validate checks when given no file). */
function stackFilesIn(directory: string): string[] {
  return readdirSync(directory)
    .filter((name) => /^Pulumi\.[^.]+\.ya?ml$/.test(name))
    .sort()
    .map((name) => path.join(directory, name));
}

/** In reading order: the file's own problems (no position) first, then by line and column. */
function byPosition(a: FileProblem, b: FileProblem): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1;
  return (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0);
}

function renderReport(report: FileReport): string {
  if (report.problems.length === 0)
    return `${report.file}: valid (${report.summary ?? "no problems"})`;
  const count = report.problems.length;
  const lines = report.problems.map((p) => {
    const where = p.line === undefined ? p.file : `${p.file}:${p.line}:${p.column}`;
    return `  ${where}  ${p.message}`;
  });
  return [`${report.file}: ${count} ${count === 1 ? "problem" : "problems"}`, ...lines].join("\n");
}

export const validateCommand: Command = {
  name: "validate",
  summary: "check a rules file and stack files, every problem at once (no services)",
  args: "",
  target: "none",
  description: [
    "Checks reply rules and stack settings without deploying and without starting anything:",
    "the same checks `pulumi preview` and the responder run, every problem in one run, each",
    "with its file, line and column, the rule and the field. A stack file's secrets count as",
    "set when they are there encrypted (`secure:`); their values are never read.",
    "",
    "--rules FILE: a reply rules JSON file (as `npm start -- --rules` reads it, or a stack's",
    "replyRulesFile). --stack-file FILE: a Pulumi.<stack>.yaml (with the Pulumi.yaml beside it);",
    "its replyRules or replyRulesFile are checked with it. Neither: every Pulumi.<stack>.yaml",
    "of the current directory.",
    "",
    "Exit codes: 0 valid, 1 problems found, 2 usage (e.g. a file that does not exist).",
  ].join("\n"),
  options: {
    rules: { type: "string", valueName: "FILE", help: "a reply rules JSON file" },
    "stack-file": {
      type: "string",
      valueName: "FILE",
      help: "a stack file, e.g. Pulumi.prod.yaml (default: every Pulumi.<stack>.yaml here)",
    },
  },
  check(positionals) {
    if (positionals.length > 0) {
      throw new UsageError(
        `validate takes no arguments (got ${positionals.join(" ")}): use --rules FILE or --stack-file FILE`,
      );
    }
  },
  examples: [
    "validate",
    "validate --rules rules/support.json",
    "validate --stack-file Pulumi.prod.yaml --json",
  ],
  async run({ values }): Promise<CommandResult> {
    const rulesFile = values.rules as string | undefined;
    const stackFile = values["stack-file"] as string | undefined;
    const reports: FileReport[] = [];
    if (rulesFile !== undefined)
      reports.push(checkRulesFile(rulesFile, readText("--rules", rulesFile)));
    const stackFiles =
      stackFile !== undefined ? [stackFile] : rulesFile === undefined ? stackFilesIn(".") : [];
    if (rulesFile === undefined && stackFiles.length === 0) {
      throw new UsageError(
        "validate: no Pulumi.<stack>.yaml in this directory: give --rules FILE or --stack-file FILE",
      );
    }
    for (const file of stackFiles) {
      reports.push(checkStackFile(file, readText("--stack-file", file)));
    }
    for (const report of reports) report.problems.sort(byPosition);
    const problems = reports.flatMap((r) => r.problems);
    return {
      ok: problems.length === 0,
      text: reports.map(renderReport).join("\n"),
      json: {
        valid: problems.length === 0,
        files: reports.map((r) => ({
          file: r.file,
          kind: r.kind,
          valid: r.problems.length === 0,
          problems: r.problems,
        })),
      },
    };
  },
};
