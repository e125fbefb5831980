/** Number formatting shared by the benchmark tables. */

/** Milliseconds: 2 decimals below 10 ms, 1 below 100, whole above. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return "–";
  if (Math.abs(value) < 10) return value.toFixed(2);
  if (Math.abs(value) < 100) return value.toFixed(1);
  return value.toFixed(0);
}

/** A ratio such as "1.23×". */
export function ratio(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)}×` : "–";
}

/** Bytes as KB (1 KB = 1000 bytes, the unit the size targets use). */
export function kb(bytes: number): string {
  return `${(bytes / 1000).toFixed(1)} KB`;
}

/** Operations per second with thousands separators. */
export function perSecond(value: number): string {
  return Number.isFinite(value) ? Math.round(value).toLocaleString("en-US") : "–";
}

/** US dollars with enough decimals for sub-cent unit costs. */
export function usd(value: number): string {
  if (!Number.isFinite(value)) return "–";
  if (value === 0) return "$0";
  if (Math.abs(value) < 0.01) return `$${value.toFixed(4)}`;
  return `$${value.toFixed(2)}`;
}

/** A count with up to 2 decimals, trailing zeros dropped. */
export function count(value: number): string {
  if (!Number.isFinite(value)) return "–";
  return String(Number(value.toFixed(2)));
}
