import { describe, expect, it } from "vitest";
import { capacityOf } from "../../../bench/lib/stack.js";

describe("capacityOf", () => {
  it("reads a single ConsumedCapacity object", () => {
    expect(capacityOf('{"ConsumedCapacity":{"TableName":"t","CapacityUnits":2}}')).toEqual({
      total: 2,
      indexes: 0,
    });
  });

  it("adds up a list (batch and transaction answers)", () => {
    expect(
      capacityOf('{"ConsumedCapacity":[{"CapacityUnits":4},{"CapacityUnits":1.5}]}').total,
    ).toBe(5.5);
  });

  it("tells the secondary indexes' share apart (ReturnConsumedCapacity INDEXES)", () => {
    const body = JSON.stringify({
      ConsumedCapacity: [
        {
          CapacityUnits: 6,
          Table: { CapacityUnits: 3 },
          GlobalSecondaryIndexes: { byUser: { CapacityUnits: 3 } },
        },
      ],
    });
    expect(capacityOf(body)).toEqual({ total: 6, indexes: 3 });
  });

  it("is 0 when the answer carries no capacity or is not JSON", () => {
    expect(capacityOf("{}")).toEqual({ total: 0, indexes: 0 });
    expect(capacityOf("<html>")).toEqual({ total: 0, indexes: 0 });
  });
});
