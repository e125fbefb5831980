import { describe, expect, it } from "vitest";
import { capacityUnitsOf, itemCount } from "../../../bench/lib/countingProxy.js";

describe("capacityUnitsOf", () => {
  it("reads a single ConsumedCapacity object", () => {
    expect(capacityUnitsOf('{"ConsumedCapacity":{"TableName":"t","CapacityUnits":2}}')).toBe(2);
  });

  it("adds up a list (batch and transaction answers)", () => {
    expect(
      capacityUnitsOf('{"ConsumedCapacity":[{"CapacityUnits":4},{"CapacityUnits":1.5}]}'),
    ).toBe(5.5);
  });

  it("is 0 when the answer carries no capacity or is not JSON", () => {
    expect(capacityUnitsOf("{}")).toBe(0);
    expect(capacityUnitsOf("<html>")).toBe(0);
  });
});

describe("itemCount", () => {
  it("is 1 for a single-item call", () => {
    expect(itemCount("PutItem", Buffer.from("{}"))).toBe(1);
  });

  it("counts the entries of every table in a BatchWriteItem", () => {
    const body = JSON.stringify({ RequestItems: { a: [{}, {}], b: [{}] } });
    expect(itemCount("BatchWriteItem", Buffer.from(body))).toBe(3);
  });

  it("counts the keys of a BatchGetItem and the actions of a transaction", () => {
    expect(
      itemCount(
        "BatchGetItem",
        Buffer.from(JSON.stringify({ RequestItems: { a: { Keys: [{}, {}] } } })),
      ),
    ).toBe(2);
    expect(
      itemCount("TransactWriteItems", Buffer.from(JSON.stringify({ TransactItems: [{}, {}, {}] }))),
    ).toBe(3);
  });
});
