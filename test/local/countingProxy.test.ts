import { describe, expect, it } from "vitest";
import { capacityOf, resourcesOf } from "../../local/countingProxy.js";

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

describe("resourcesOf", () => {
  const body = (input: unknown) => JSON.stringify(input);

  it("names the table, or the index of a table, a DynamoDB call addresses", () => {
    expect(resourcesOf(body({ TableName: "conv", Key: {} }))).toEqual(["conv"]);
    expect(resourcesOf(body({ TableName: "conv", IndexName: "byUser" }))).toEqual([
      "conv/index/byUser",
    ]);
  });

  it("names every table of a batch", () => {
    expect(resourcesOf(body({ RequestItems: { a: [], b: [] } }))).toEqual(["a", "b"]);
  });

  it("names the queue of an SQS call and the secret of a Secrets Manager call", () => {
    expect(resourcesOf(body({ QueueUrl: "http://q/1/jobs", MessageBody: "{}" }))).toEqual([
      "http://q/1/jobs",
    ]);
    expect(resourcesOf(body({ SecretId: "arn:secret" }))).toEqual(["arn:secret"]);
  });

  it("names nothing in a body that is not JSON", () => {
    expect(resourcesOf("Action=SendMessage")).toEqual([]);
  });
});
