import type { SigningSecretDocument } from "../lambdas/contract.js";

/** A live registration's part in the signing secret document. */
export interface GenerationSecret {
  generation: number;
  enabled: boolean;
  /** null when the vendor issued none we know (adopted, or signing off). */
  secret: string | null;
}

/**
 * The signing secret document the receiver reads (lambdas/contract.ts): every secret of every
 * registration still in the program is live, so deliveries signed by either registration pass
 * during a rotation. `current` is the newest enabled generation's secret; the rest are `previous`.
 * With no known secret at all, `current` is empty, which the receiver treats as "reject".
 */
export function signingSecretDocument(
  generations: readonly GenerationSecret[],
  adoptedSecret?: string,
): SigningSecretDocument {
  const newestFirst = [...generations].sort(
    (a, b) => Number(b.enabled) - Number(a.enabled) || b.generation - a.generation,
  );
  const secrets = [
    ...newestFirst
      .map((g) => g.secret)
      .filter((s): s is string => typeof s === "string" && s !== ""),
    ...(adoptedSecret ? [adoptedSecret] : []),
  ];
  const [current = "", ...previous] = [...new Set(secrets)];
  return previous.length > 0 ? { current, previous } : { current };
}

/**
 * The URL a generation is registered at. The vendor refuses two registrations of one URL, so each
 * generation gets its own query string; API Gateway routes on the path and ignores the query.
 */
export function generationUrl(endpointUrl: string, generation: number): string {
  const url = new URL(endpointUrl);
  url.searchParams.set("g", String(generation));
  return url.toString();
}
