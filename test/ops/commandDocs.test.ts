import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { COMMANDS } from "../../ops/commands/index.js";

/**
 * docs/operations.md ("Day to day") is the one list of the ops commands in the docs: a command
 * added to ops/commands/index.ts without its row there, or a row left for one that is gone,
 * fails here.
 */

const HEADER = "| command | what it shows or does |";

function documentedCommands(markdown: string): string[] {
  const lines = markdown.split("\n");
  const start = lines.indexOf(HEADER);
  if (start < 0) throw new Error(`docs/operations.md has no table headed ${HEADER}`);
  const rows = lines.slice(start + 2);
  const end = rows.findIndex((line) => !line.startsWith("|"));
  return rows.slice(0, end < 0 ? undefined : end).map((row) => {
    const name = /^\| `([a-z-]+)/.exec(row)?.[1];
    if (!name) throw new Error(`docs/operations.md: a command row names no command: ${row}`);
    return name;
  });
}

describe("the ops commands in the docs", () => {
  it("lists every command of the CLI, once, and no other", () => {
    const documented = documentedCommands(readFileSync("docs/operations.md", "utf8"));
    expect([...documented].sort()).toEqual(COMMANDS.map((c) => c.name).sort());
  });
});
