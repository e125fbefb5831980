/**
 * The settings reference, rendered from the settings schema (infra/settings.ts: each setting's
 * type, default, and its SettingDoc): the component's settings args with their TSDoc
 * (infra/components/pipelineSettingArgs.ts) and the configuration table of docs/operations.md.
 * `npm run gen:settings` writes both; test/infra/settingsReference.test.ts renders them in memory
 * and fails when a committed file differs. Generated rather than typed from the schema
 * (`z.input<...>`) because the package's public types must not reach zod's (a host's compile
 * must not need a dependency's types), and because TSDoc cannot be computed by the compiler.
 */
import path from "node:path";
import type { z } from "zod";
import { SETTING_DOCS, type SettingDoc, settingsSchema } from "../infra/settings.js";

/** The generated args file, relative to the repository root. */
export const SETTING_ARGS_FILE = "infra/components/pipelineSettingArgs.ts";
/** The document holding the generated table, relative to the repository root. */
export const OPERATIONS_DOC = "docs/operations.md";

const TABLE_BEGIN =
  "<!-- settings table: generated from infra/settings.ts by `npm run gen:settings`; edit the schema, not this -->";
const TABLE_END = "<!-- settings table end -->";

/** zod's definition, as far as the renderer reads it (zod 4's `_zod.def`). */
interface Def {
  type: string;
  innerType?: z.ZodType;
  element?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  options?: z.ZodType[];
  entries?: Record<string, string | number>;
  values?: unknown[];
  shape?: Record<string, z.ZodType>;
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** Wrappers that make a key optional to a caller: they hold the schema of the value itself. */
const WRAPPERS = new Set(["optional", "default", "prefault", "nullable"]);

/** A setting as the reference shows it. */
interface Setting {
  key: string;
  schema: z.ZodType;
  doc: SettingDoc;
  /** The value the schema gives when the key is unset, if any. */
  default?: unknown;
  /** A caller may leave it out. */
  optional: boolean;
}

/** The key's documentation, gathered along its wrappers (the outer wins), and its default. */
function settingOf(key: string, schema: z.ZodType): Setting {
  let doc: SettingDoc = {};
  let optional = false;
  for (let s: z.ZodType | undefined = schema; s; ) {
    doc = { ...SETTING_DOCS.get(s), ...doc };
    const def = defOf(s);
    if (!WRAPPERS.has(def.type)) break;
    optional = true;
    s = def.innerType;
  }
  if (!doc.description) {
    throw new Error(`${key}: no description; document it with doc(...) in infra/settings.ts`);
  }
  const parsed = schema.safeParse(undefined);
  return {
    key,
    schema,
    doc,
    optional,
    ...(parsed.success && parsed.data !== undefined ? { default: parsed.data } : {}),
  };
}

const settingsOf = (shape: Record<string, z.ZodType>): Setting[] =>
  Object.entries(shape).map(([key, schema]) => settingOf(key, schema));

/** The schema under its wrappers. */
function unwrapped(schema: z.ZodType): z.ZodType {
  const def = defOf(schema);
  return WRAPPERS.has(def.type) && def.innerType ? unwrapped(def.innerType) : schema;
}

/** The TypeScript type a caller writes for a schema; objects over several lines at `indent`. */
function typeOf(schema: z.ZodType, indent: string): string {
  const def = defOf(schema);
  switch (def.type) {
    case "string":
    case "number":
    case "boolean":
    case "unknown":
      return def.type;
    case "enum":
      return Object.values(def.entries ?? {})
        .map((v) => JSON.stringify(v))
        .join(" | ");
    case "literal":
      return (def.values ?? []).map((v) => JSON.stringify(v)).join(" | ");
    case "union":
      return (def.options ?? []).map((o) => typeOf(o, indent)).join(" | ");
    case "array": {
      const element = typeOf(def.element as z.ZodType, indent);
      return element.includes(" | ") ? `(${element})[]` : `${element}[]`;
    }
    case "object":
      return `{\n${members(settingsOf(def.shape ?? {}), `${indent}  `)}${indent}}`;
    case "pipe":
      // z.preprocess: the caller's value is the output's type (text() turns numbers into text).
      return typeOf(
        defOf(def.in as z.ZodType).type === "transform"
          ? (def.out as z.ZodType)
          : (def.in as z.ZodType),
        indent,
      );
    default:
      if (WRAPPERS.has(def.type)) return typeOf(def.innerType as z.ZodType, indent);
      throw new Error(`no TypeScript type for a zod "${def.type}"; extend typeOf`);
  }
}

/** What the schema allows beyond its type, in words ("" when the type says it all). */
function constraintOf(setting: Setting, { enums }: { enums: boolean }): string {
  const { range, oneOf } = setting.doc;
  const inner = unwrapped(setting.schema);
  const parts: string[] = [];
  if (range) parts.push(`A whole number from ${range[0]} to ${range[1]}.`);
  if (oneOf) parts.push(`One of ${oneOf.join(", ")}.`);
  const def = defOf(inner);
  if (enums && def.type === "enum") {
    parts.push(
      `One of ${Object.values(def.entries ?? {})
        .map((v) => `\`${v}\``)
        .join(", ")}.`,
    );
  }
  if (enums && def.type === "array" && defOf(def.element as z.ZodType).type === "enum") {
    const values = Object.values(defOf(def.element as z.ZodType).entries ?? {});
    parts.push(`Among ${values.map((v) => `\`${v}\``).join(", ")}.`);
  }
  return parts.join(" ");
}

/** Markdown links into docs/operations.md, as TSDoc (where an anchor alone leads nowhere). */
const tsdocText = (markdown: string) =>
  markdown.replace(/\[([^\]]+)\]\(#([^)]+)\)/g, `$1 (${OPERATIONS_DOC}#$2)`);

/** Words over lines of at most `width` characters; a code span is never split. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.match(/(?:`[^`]*`|[^\s`])+|\S+/g) ?? []) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** The interface members of some settings, each with its TSDoc, at `indent`. */
function members(settings: Setting[], indent: string): string {
  return settings
    .map((setting) => {
      const { key, doc } = setting;
      const defaultText =
        setting.default !== undefined ? `\`${JSON.stringify(setting.default)}\`` : doc.defaultText;
      const text = [
        tsdocText(doc.description ?? ""),
        constraintOf(setting, { enums: false }),
        defaultText ? `Default ${defaultText}.` : "",
      ]
        .filter(Boolean)
        .join(" ");
      if (text.includes("*/")) throw new Error(`${key}: its description would end the comment`);
      const lines = wrap(text, 100 - indent.length - 3);
      const comment =
        lines.length === 1 && `${indent}/** ${lines[0]} */`.length <= 100
          ? `${indent}/** ${lines[0]} */`
          : [`${indent}/**`, ...lines.map((l) => `${indent} * ${l}`), `${indent} */`].join("\n");
      const type = doc.argType?.type ?? typeOf(setting.schema, indent);
      return `${comment}\n${indent}${key}${setting.optional ? "?" : ""}: ${type};\n`;
    })
    .join("");
}

/** The generated file of the component's settings args, as committed. */
export function renderSettingArgs(): string {
  const settings = settingsOf(settingsSchema.shape as Record<string, z.ZodType>);
  const imports = new Map<string, Set<string>>();
  for (const { doc } of settings) {
    if (!doc.argType) continue;
    const from = path.posix
      .relative(path.posix.dirname(SETTING_ARGS_FILE), doc.argType.from)
      .replace(/\.ts$/, ".js");
    imports.set(from, (imports.get(from) ?? new Set()).add(doc.argType.name));
  }
  const importLines = [...imports]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([from, names]) => `import type { ${[...names].sort().join(", ")} } from "${from}";\n`)
    .join("");
  return (
    "// Generated from infra/settings.ts by `npm run gen:settings`: do not edit. Change the schema\n" +
    "// and run it again (test/infra/settingsReference.test.ts fails until the file matches).\n" +
    importLines +
    "\n" +
    "/**\n" +
    " * The settings of a WhatsAppReplyPipeline: every key of this repository's stack files is an\n" +
    " * arg of the same name, validated by the same validator (infra/settings.ts), with the same\n" +
    ` * default (${OPERATIONS_DOC}, "Configuration reference").\n` +
    " */\n" +
    "export interface PipelineSettingArgs {\n" +
    members(settings, "  ") +
    "}\n"
  );
}

/** A table cell: one line, no column break. */
const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** docs/operations.md's table of the settings, between its markers. */
export function renderSettingsTable(): string {
  const settings = settingsOf(settingsSchema.shape as Record<string, z.ZodType>);
  // An object's fields get rows of their own (`alarmThresholds.quietHours`).
  const withFields = settings.flatMap((setting) => {
    const inner = defOf(unwrapped(setting.schema));
    if (inner.type !== "object") return [setting];
    const fields = settingsOf(inner.shape ?? {}).map((f) => ({
      ...f,
      key: `${setting.key}.${f.key}`,
    }));
    return [setting, ...fields];
  });
  const rows = withFields.map((setting) => {
    const value = setting.default;
    const defaultText =
      value === undefined
        ? (setting.doc.defaultText ?? "—")
        : `\`${typeof value === "string" ? value : JSON.stringify(value)}\``;
    const rule = [setting.doc.description ?? "", constraintOf(setting, { enums: true })]
      .filter(Boolean)
      .join(" ");
    return `| \`${setting.key}\` | ${cell(defaultText)} | ${cell(rule)} |`;
  });
  return [
    TABLE_BEGIN,
    "",
    "| Key | Default | Meaning and allowed values |",
    "| --- | ------- | -------------------------- |",
    ...rows,
    "",
    TABLE_END,
  ].join("\n");
}

/** `doc` with its generated table replaced by `table`; throws when the markers are missing. */
export function withSettingsTable(doc: string, table: string): string {
  const begin = doc.indexOf(TABLE_BEGIN);
  const end = doc.indexOf(TABLE_END);
  if (begin < 0 || end < begin) {
    throw new Error(`${OPERATIONS_DOC}: the settings table's markers are missing`);
  }
  return doc.slice(0, begin) + table + doc.slice(end + TABLE_END.length);
}
