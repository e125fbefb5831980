import fc from "fast-check";
import { DYNAMODB_ITEM_LIMITS } from "../../lambdas/core/conversationLog.js";

/**
 * What DynamoDB (and the AWS SDK's document client) refuse in an item, per the limits in
 * test/fixtures/contracts/dynamodb/README.md, as problems: [] when the item can be stored.
 */
export function unstorable(item: object): string[] {
  const problems: string[] = [];
  const visit = (value: unknown, level: number, path: string) => {
    if (level > DYNAMODB_ITEM_LIMITS.nestingLevels) problems.push(`${path}: level ${level}`);
    if (typeof value === "number") {
      const magnitude = Math.abs(value);
      if (!Number.isFinite(value) || magnitude > Number.MAX_SAFE_INTEGER) {
        problems.push(`${path}: number ${value}`);
      }
      if (value !== 0 && magnitude < 1e-130) problems.push(`${path}: underflow ${value}`);
    } else if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) visit(v, level + 1, `${path}[${i}]`);
    } else if (value !== null && typeof value === "object") {
      for (const [key, v] of Object.entries(value)) {
        if (key === "") problems.push(`${path}: empty key`);
        visit(v, level + 1, `${path}.${key}`);
      }
    }
  };
  for (const [name, value] of Object.entries(item)) visit(value, 1, name);
  return problems;
}

/** Nests `leaf` in `depth` single-key maps. */
export function nested(depth: number, leaf: unknown = "leaf", key = "a"): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = { [key]: value };
  return value;
}

/**
 * Any informational field a webhook's JSON can carry: JSON values with awkward numbers (beyond
 * 2^53, tiny, -0), empty and odd keys, long strings, wrapped in up to 64 levels of maps and lists
 * (the receiver accepts 64).
 */
export const informationalValue: fc.Arbitrary<unknown> = fc
  .tuple(
    fc.jsonValue({ maxDepth: 4 }),
    fc.array(fc.oneof(fc.constant("list"), fc.string({ maxLength: 3 })), { maxLength: 64 }),
    fc.oneof(
      fc.constant(undefined),
      fc.constantFrom(2 ** 60, -(2 ** 60), 1e-200, -0, 1e300, 1.2345678901234567e19),
      fc.string({ maxLength: 2000, unit: "grapheme" }),
    ),
  )
  .map(([json, wrappers, odd]) => {
    let value: unknown = odd === undefined ? json : [json, odd];
    for (const wrapper of wrappers) value = wrapper === "list" ? [value] : { [wrapper]: value };
    return value;
  });
