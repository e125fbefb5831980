import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { describe, expect, it } from "vitest";
import { policyUrlProblem } from "../../../lambdas/core/replyPolicy.js";

/**
 * Where a deployed stack's reply policy URL may point. The address blocks come from IANA's
 * special-purpose registries as IANA exports them (test/fixtures/contracts/iana/README.md).
 */

const publicOnly = { privateEndpoint: false };
const optedIn = { privateEndpoint: true };

/** The rows of an IANA registry CSV export (quoted cells may hold commas and line breaks). */
function registryRows(file: string): { blocks: string[]; name: string }[] {
  const text = readFileSync(
    new URL(`../../fixtures/contracts/iana/${file}`, import.meta.url),
    "utf8",
  );
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  const endCell = () => {
    row.push(cell);
    cell = "";
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '"' && text[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (c === '"') {
      quoted = !quoted;
    } else if (!quoted && c === ",") {
      endCell();
    } else if (!quoted && c === "\n") {
      endCell();
      rows.push(row);
      row = [];
    } else {
      cell += c;
    }
  }
  if (cell || row.length) {
    endCell();
    rows.push(row);
  }
  return rows.slice(1).map(([block = "", name = ""]) => ({
    // "192.0.0.0/24 [2]" carries a footnote mark; one cell may list two blocks.
    blocks: block.split(",").map((b) => b.replace(/\s*\[\d+\]$/, "").trim()),
    name,
  }));
}

const rows = [
  ...registryRows("ipv4-special-registry.csv"),
  ...registryRows("ipv6-special-registry.csv"),
];
/** The first address of a block, as a URL host. */
const hostOf = (block: string) => {
  const address = block.split("/")[0] ?? "";
  return isIP(address) === 6 ? `[${address}]` : address;
};
const named = (...names: string[]) => rows.filter((row) => names.includes(row.name));

describe("policyUrlProblem: addresses from the IANA special-purpose registries", () => {
  it("has read both registries", () => {
    expect(rows.length).toBeGreaterThan(40);
    expect(named("Link Local", "Link-Local Unicast")).toHaveLength(2);
  });

  it.each(
    named(
      "Loopback",
      "Loopback Address",
      "Link Local",
      "Link-Local Unicast",
      '"This network"',
      '"This host on this network"',
      "Unspecified Address",
      "Reserved",
      "Limited Broadcast",
    ).flatMap((row) => row.blocks.map((block) => [row.name, block])),
  )("refuses %s (%s), even for a private endpoint", (_, block) => {
    const url = `https://${hostOf(block)}/reply`;
    expect(policyUrlProblem(url, optedIn)).toMatch(/^must not point to /);
    expect(policyUrlProblem(url, publicOnly)).toMatch(/^must not point to /);
  });

  it.each(
    named("Private-Use", "Shared Address Space", "Unique-Local").flatMap((row) =>
      row.blocks.map((block) => [row.name, block]),
    ),
  )("refuses %s (%s) unless the stack opts in to a private endpoint", (_, block) => {
    const url = `https://${hostOf(block)}/reply`;
    expect(policyUrlProblem(url, publicOnly)).toMatch(
      /^points to a private address .*: set replyPolicyPrivateEndpoint: true/,
    );
    expect(policyUrlProblem(url, optedIn)).toBeUndefined();
  });
});

describe("policyUrlProblem: spellings of an address", () => {
  it.each([
    ["https://169.254.169.254/latest/meta-data/", "a link-local address"],
    ["https://127.0.0.1/", "a loopback address"],
    ["https://2130706433/", "a loopback address"], // 127.0.0.1 in decimal
    ["https://0x7f.0.0.1/", "a loopback address"], // hexadecimal
    ["https://017700000001/", "a loopback address"], // octal
    ["https://[::1]/", "a loopback address"],
    ["https://[::ffff:127.0.0.1]/", "a loopback address"], // IPv4-mapped
    ["https://[fe80::1]/", "a link-local address"],
    ["https://[::]/", 'an unspecified ("this network") address'],
    ["https://localhost/", "a loopback name"],
    ["https://LOCALHOST./", "a loopback name"],
    ["https://api.localhost/", "a loopback name"],
    ["https://instance-data/", "the instance metadata service"],
  ])("refuses %s as %s, whatever the opt-in", (url, what) => {
    for (const options of [publicOnly, optedIn]) {
      expect(policyUrlProblem(url, options)).toMatch(
        new RegExp(`^must not point to ${literal(what)}`),
      );
    }
  });

  it.each([
    ["https://10.0.0.5/", "a private address"],
    ["https://[fd00::1]/", "a private address"],
    ["https://[::ffff:10.0.0.5]/", "a private address"],
    ["https://167772165/", "a private address"], // 10.0.0.5 in decimal
    ["https://policy.ec2.internal/", "a private name"],
    ["https://printer.local/", "a private name"],
    ["https://intranet/", "a private name"],
  ])("refuses %s (%s) without the opt-in, accepts it with", (url, what) => {
    expect(policyUrlProblem(url, publicOnly)).toMatch(new RegExp(`^points to ${literal(what)}`));
    expect(policyUrlProblem(url, optedIn)).toBeUndefined();
  });

  it("refuses a public literal IP address without the opt-in: certificates name hosts", () => {
    expect(policyUrlProblem("https://93.184.215.14/reply", publicOnly)).toMatch(
      /^must name a host, not an IP address/,
    );
  });

  it("accepts an https URL with a public host name", () => {
    expect(policyUrlProblem("https://policy.example.com/reply", publicOnly)).toBeUndefined();
  });

  it("refuses http, even to a public host", () => {
    expect(policyUrlProblem("http://policy.example.com/", optedIn)).toBe(
      "must be an absolute https:// URL",
    );
  });
});

function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
