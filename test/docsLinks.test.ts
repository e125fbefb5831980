import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import GithubSlugger from "github-slugger";
import { describe, expect, it } from "vitest";

/**
 * The docs link to each other's sections by anchor; GitHub renders them, so an anchor is a
 * heading's slug as GitHub makes it (github-slugger is the slugger GitHub's own renderer's rules
 * are published as; a second heading of the same text gets `-1`). A renamed or doubled heading
 * breaks links silently otherwise.
 */
const DOCS = [
  "README.md",
  ...readdirSync("docs")
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

function anchorsOf(file: string): Set<string> {
  const slugger = new GithubSlugger();
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (line.startsWith("```")) fenced = !fenced;
    const heading = fenced ? null : /^#{1,6} (.+)$/.exec(line);
    if (heading?.[1]) anchors.add(slugger.slug(heading[1].replace(/`/g, "")));
  }
  return anchors;
}

/** `[text](target#anchor)` links to a Markdown file of this repository (or to the file itself). */
function anchorLinks(file: string): { target: string; anchor: string }[] {
  const text = readFileSync(file, "utf8").replace(/```[\s\S]*?```/g, "");
  return [...text.matchAll(/\]\(([^)\s#]*)#([^)\s]+)\)/g)].flatMap(([, path, anchor]) => {
    if (path?.startsWith("http")) return [];
    const target = path ? normalize(join(dirname(file), path)) : file;
    return target.endsWith(".md") ? [{ target, anchor: anchor as string }] : [];
  });
}

describe("links between the docs", () => {
  it.each(DOCS)("every section link of %s names a heading that exists", (file) => {
    const broken = anchorLinks(file)
      .filter(({ target, anchor }) => !anchorsOf(target).has(anchor))
      .map(({ target, anchor }) => `${target}#${anchor}`);
    expect(broken).toEqual([]);
  });

  it("has no heading twice in one file at the same level of the contents", () => {
    const doubled = DOCS.flatMap((file) => {
      const sections = readFileSync(file, "utf8")
        .replace(/```[\s\S]*?```/g, "")
        .split("\n")
        .filter((line) => line.startsWith("## "));
      return sections
        .filter((line, i) => sections.indexOf(line) !== i)
        .map((line) => `${file}: ${line}`);
    });
    expect(doubled).toEqual([]);
  });
});
