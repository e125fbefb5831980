import { randomUUID } from "node:crypto";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { beforeAll, describe, expect, it } from "vitest";
import { createDocumentClient } from "../../../lambdas/adapters/awsClients.js";
import { DynamoIdempotencyStore } from "../../../lambdas/adapters/DynamoIdempotencyStore.js";
import { provisionForTest } from "../../support/localAws.js";

describe("DynamoIdempotencyStore (DynamoDB Local)", () => {
  let store: DynamoIdempotencyStore;
  let table: string;
  let client: ReturnType<typeof createDocumentClient>;
  const now = 1_750_000_000_000;
  const lease = (at = now) => ({
    now: at,
    inProgressUntil: at + 30_000,
    expiresAt: Math.floor(at / 1000) + 3600,
  });

  beforeAll(async () => {
    const resources = await provisionForTest();
    table = resources.tables.idempotency;
    client = createDocumentClient(resources.awsEnv);
    store = new DynamoIdempotencyStore(client, table);
  });

  it("grants a first claim and stores it IN_PROGRESS with its lease and TTL", async () => {
    const key = randomUUID();
    const result = await store.claim(key, lease());
    expect(result).toMatchObject({ claimed: true, token: expect.any(String) });
    const item = await client.send(new GetCommand({ TableName: table, Key: { pk: key } }));
    expect(item.Item).toMatchObject({
      pk: key,
      status: "IN_PROGRESS",
      inProgressUntil: now + 30_000,
      expiresAt: Math.floor(now / 1000) + 3600,
    });
  });

  it("refuses a second claim and returns the existing record", async () => {
    const key = randomUUID();
    await store.claim(key, lease());
    expect(await store.claim(key, lease(now + 1000))).toEqual({
      claimed: false,
      existing: {
        status: "IN_PROGRESS",
        inProgressUntil: now + 30_000,
        expiresAt: Math.floor(now / 1000) + 3600,
      },
    });
  });

  it("grants a claim whose lease ran out to a new owner", async () => {
    const key = randomUUID();
    await store.claim(key, lease());
    expect(await store.claim(key, lease(now + 30_001))).toMatchObject({ claimed: true });
  });

  it("refuses a claim on a QUEUED record even after the lease time", async () => {
    const key = randomUUID();
    const first = await store.claim(key, lease());
    if (!first.claimed) throw new Error("not claimed");
    expect(await store.markQueued(key, first.token, Math.floor(now / 1000) + 3600)).toBe(true);
    expect(await store.claim(key, lease(now + 60_000))).toMatchObject({
      claimed: false,
      existing: { status: "QUEUED" },
    });
  });

  it("grants a claim on a record past its TTL that DynamoDB has not deleted yet", async () => {
    const key = randomUUID();
    const first = await store.claim(key, lease());
    if (!first.claimed) throw new Error("not claimed");
    await store.markQueued(key, first.token, Math.floor(now / 1000) + 10);
    expect(await store.claim(key, lease(now + 11_000))).toMatchObject({ claimed: true });
  });

  it("lets only the owner mark the claim queued", async () => {
    const key = randomUUID();
    await store.claim(key, lease());
    expect(await store.markQueued(key, "not-the-token", 1)).toBe(false);
    expect(await store.get(key)).toMatchObject({ status: "IN_PROGRESS" });
  });

  it("releases only the owner's IN_PROGRESS claim", async () => {
    const key = randomUUID();
    const first = await store.claim(key, lease());
    if (!first.claimed) throw new Error("not claimed");
    await store.release(key, "not-the-token");
    expect(await store.get(key)).not.toBeNull();
    await store.release(key, first.token);
    expect(await store.get(key)).toBeNull();
  });

  it("does not release a claim that is already QUEUED", async () => {
    const key = randomUUID();
    const first = await store.claim(key, lease());
    if (!first.claimed) throw new Error("not claimed");
    await store.markQueued(key, first.token, Math.floor(now / 1000) + 3600);
    await store.release(key, first.token);
    expect(await store.get(key)).toMatchObject({ status: "QUEUED" });
  });

  it("grants exactly one of 20 concurrent claims", async () => {
    const key = randomUUID();
    const results = await Promise.all(Array.from({ length: 20 }, () => store.claim(key, lease())));
    expect(results.filter((r) => r.claimed)).toHaveLength(1);
  });

  it("answers null for an unknown key", async () => {
    expect(await store.get(randomUUID())).toBeNull();
  });
});
