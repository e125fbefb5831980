import { createHmac, randomBytes } from "node:crypto";
import { type SignatureScheme, verifySignature } from "../lambdas/core/signature.js";
import { measureRate } from "./lib/measure.js";
import { fmt, type Section } from "./lib/report.js";

/**
 * Benchmark 5: verifySignature (lambdas/core/signature.ts) per scheme on 2 KB and 64 KB bodies,
 * next to Node's bare HMAC-SHA256 of the same bytes in the same run.
 */

// The vendor issues 128 random bytes, base64url: a 171-character secret (docs/vendor.md).
const SECRET = randomBytes(128).toString("base64url");
const PREVIOUS = randomBytes(128).toString("base64url");
const hmac = (hash: string, body: Buffer, encoding: "hex" | "base64" = "hex") =>
  createHmac(hash, SECRET).update(body).digest(encoding);

/** label, scheme, the header for a body, whether it verifies; the worst case has 2 live secrets. */
const CASES: [string, SignatureScheme, (body: Buffer) => string, boolean][] = [
  ["secret (header = secret)", "secret", () => SECRET, true],
  ["hmac-sha256, hex", "hmac-sha256", (b) => hmac("sha256", b), true],
  [
    "hmac-sha256, base64 with sha256= prefix",
    "hmac-sha256",
    (b) => `sha256=${hmac("sha256", b, "base64")}`,
    true,
  ],
  ["hmac-sha512, hex", "hmac-sha512", (b) => hmac("sha512", b), true],
  ["auto, hmac-sha256 hex (typical)", "auto", (b) => hmac("sha256", b), true],
  [
    "auto, forged header, 2 live secrets (worst case)",
    "auto",
    () => randomBytes(32).toString("hex"),
    false,
  ],
];

export async function runSignature(options: {
  durationMs: number;
  warmupMs: number;
}): Promise<Section> {
  const rows: string[][] = [];
  const notes: string[] = [];
  for (const size of [2 * 1024, 64 * 1024]) {
    // A JSON body of exactly `size` bytes (HMAC cost depends on length only).
    const body = Buffer.from(`{"conversation_paragraph":"${"x".repeat(size - 30)}"}`, "utf8");
    const label = `${size / 1024} KB`;
    const floor = measureRate(() => hmac("sha256", body), options);
    const add = (operation: string, rate: number) =>
      rows.push([
        label,
        operation,
        fmt.perSecond(rate),
        (1e6 / rate).toFixed(1),
        fmt.ratio(floor / rate),
      ]);
    add("node:crypto createHmac sha256 (floor)", floor);
    for (const [name, scheme, header, valid] of CASES) {
      const secrets = valid ? [SECRET] : [SECRET, PREVIOUS];
      const check = { scheme, header: header(body), body, secrets };
      if (verifySignature(check).valid !== valid)
        notes.push(`${name} on ${label}: unexpected verdict.`);
      add(
        `verifySignature: ${name}`,
        measureRate(() => verifySignature(check), options),
      );
    }
  }
  return {
    title: "5. Signature verification throughput",
    tables: [
      {
        title: `Verifications per second (one core, ${options.durationMs} ms per operation); µs each`,
        headers: ["body", "operation", "ops/s", "µs/op", "× floor"],
        align: ["left", "left", "right", "right", "right"],
        rows,
      },
    ],
    targets: [],
    notes,
  };
}
