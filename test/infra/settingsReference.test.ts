import { readFileSync } from "node:fs";
import ts from "typescript";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { z } from "zod";
import type { WhatsAppReplyPipelineArgs } from "../../infra/components/pipelineArgs.js";
import type { PipelineSettingArgs } from "../../infra/components/pipelineSettingArgs.js";
import { settingsSchema } from "../../infra/settings.js";
import {
  OPERATIONS_DOC,
  renderSettingArgs,
  renderSettingsTable,
  SETTING_ARGS_FILE,
  withSettingsTable,
} from "../../scripts/settingsReference.js";

const FIX = "run `npm run gen:settings` and commit the result";

/** Each setting's default as the validator applies it, keyed by setting. */
const schemaDefaults = Object.fromEntries(
  Object.entries(settingsSchema.shape).flatMap(([key, schema]) => {
    const parsed = (schema as z.ZodType).safeParse(undefined);
    return parsed.success && parsed.data !== undefined ? [[key, parsed.data]] : [];
  }),
);

/** The TSDoc of each member of the committed settings args, keyed by member. */
function argsDocs(): Record<string, string> {
  const source = ts.createSourceFile(
    SETTING_ARGS_FILE,
    readFileSync(SETTING_ARGS_FILE, "utf8"),
    ts.ScriptTarget.Latest,
    true,
  );
  const docs: Record<string, string> = {};
  source.forEachChild((node) => {
    if (!ts.isInterfaceDeclaration(node)) return;
    for (const member of node.members) {
      const comment = ts.getJSDocCommentsAndTags(member)[0]?.getText(source) ?? "";
      docs[member.name?.getText(source) ?? ""] = comment.replace(/\s*\n\s*\*\s?/g, " ");
    }
  });
  return docs;
}

/** Each key's default cell in docs/operations.md's settings table. */
function tableDefaults(): Record<string, string> {
  const doc = readFileSync(OPERATIONS_DOC, "utf8");
  return Object.fromEntries(
    [...doc.matchAll(/^\| `([\w.]+)` \| (.*?) \| /gm)].map(([, key, cell]) => [key, cell]),
  );
}

describe("the settings reference", () => {
  it("is what the settings schema generates, in the component's settings args", () => {
    expect(readFileSync(SETTING_ARGS_FILE, "utf8"), FIX).toBe(renderSettingArgs());
  });

  it("is what the settings schema generates, in docs/operations.md's configuration table", () => {
    const doc = readFileSync(OPERATIONS_DOC, "utf8");
    expect(doc, FIX).toBe(withSettingsTable(doc, renderSettingsTable()));
  });

  it("states in each arg's TSDoc the default the validator applies", () => {
    const docs = argsDocs();
    for (const [key, value] of Object.entries(schemaDefaults)) {
      expect(docs[key], key).toContain(`Default \`${JSON.stringify(value)}\`.`);
    }
    // The two defaults the hand-written TSDoc had wrong.
    expect(docs.maxBodyBytes).toContain("Default `261120`.");
    expect(docs.webhookOutgoing).toContain("Default `true`.");
  });

  it("states in docs/operations.md's table the default the validator applies", () => {
    const cells = tableDefaults();
    for (const [key, value] of Object.entries(schemaDefaults)) {
      expect(cells[key], key).toBe(
        `\`${typeof value === "string" ? value : JSON.stringify(value)}\``,
      );
    }
  });

  it("documents every setting, and only settings, as an arg of the same name", () => {
    expect(Object.keys(argsDocs()).sort()).toEqual(Object.keys(settingsSchema.shape).sort());
    expectTypeOf<keyof PipelineSettingArgs>().toEqualTypeOf<keyof z.input<typeof settingsSchema>>();
    expectTypeOf<WhatsAppReplyPipelineArgs>().toExtend<PipelineSettingArgs>();
  });

  it("types each arg as the validator takes it and gives it back", () => {
    type Input = z.input<typeof settingsSchema>;
    type Output = z.output<typeof settingsSchema>;
    // What a host may write, the validator takes (its refinements aside)...
    type NotTaken = {
      [K in keyof PipelineSettingArgs]-?: PipelineSettingArgs[K] extends Input[K] ? never : K;
    }[keyof PipelineSettingArgs];
    // ...and what it gives back, a host may write (replyRules: the responder's validator's type).
    type NotWritable = {
      [K in Exclude<keyof Output, "replyRules">]-?: NonNullable<Output[K]> extends NonNullable<
        PipelineSettingArgs[K]
      >
        ? never
        : K;
    }[Exclude<keyof Output, "replyRules">];
    expectTypeOf<NotTaken>().toBeNever();
    expectTypeOf<NotWritable>().toBeNever();
  });
});
