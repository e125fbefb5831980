import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SecretsManagerSecretSource } from "../../../lambdas/adapters/SecretsManagerSecretSource.js";
import {
  type RunningSecretsManager,
  startSecretsManager,
} from "../../../local/services/secretsManagerStandIn.js";

/**
 * Against a Secrets Manager stand-in of this file's own, so it can be made unavailable
 * (setUnavailable) without disturbing other test files.
 */
describe("SecretsManagerSecretSource", () => {
  let service: RunningSecretsManager;
  let client: SecretsManagerClient;
  let secretId: string;
  let time: number;
  let counter = 0;

  const source = (options: { maxAgeSeconds?: number; minRefreshIntervalMs?: number } = {}) =>
    new SecretsManagerSecretSource(client, secretId, {
      maxAgeSeconds: options.maxAgeSeconds ?? 300,
      minRefreshIntervalMs: options.minRefreshIntervalMs,
      now: () => time,
    });
  const reads = () => service.calls.get("GetSecretValue") ?? 0;
  const rotate = (value: string) =>
    client.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: value }));

  beforeAll(async () => {
    service = await startSecretsManager();
    client = new SecretsManagerClient({
      endpoint: service.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
      maxAttempts: 1,
    });
  });

  afterAll(async () => {
    client.destroy();
    await service.stop();
  });

  beforeEach(async () => {
    service.setUnavailable(false);
    time = 1_750_000_000_000;
    secretId = `secret-${++counter}`;
    await client.send(
      new CreateSecretCommand({ Name: secretId, SecretString: "first-secret-value" }),
    );
    service.calls.clear();
  });

  it("reads the secret string", async () => {
    expect(await source().get()).toBe("first-secret-value");
  });

  it("serves the cached value within maxAge, even after a rotation", async () => {
    const secrets = source({ maxAgeSeconds: 300 });
    await secrets.get();
    await rotate("second-secret-value");
    time += 299_000;
    expect(await secrets.get()).toBe("first-secret-value");
    expect(reads()).toBe(1);
  });

  it("reads again once maxAge has passed", async () => {
    const secrets = source({ maxAgeSeconds: 300 });
    await secrets.get();
    await rotate("second-secret-value");
    time += 300_000;
    expect(await secrets.get()).toBe("second-secret-value");
    expect(reads()).toBe(2);
  });

  it("reads again on a forced refresh", async () => {
    const secrets = source();
    await secrets.get();
    await rotate("second-secret-value");
    expect(await secrets.get({ forceRefresh: true })).toBe("second-secret-value");
    expect(await secrets.get()).toBe("second-secret-value");
  });

  it("allows one forced refresh per interval, so forged requests cost at most that", async () => {
    const secrets = source({ minRefreshIntervalMs: 10_000 });
    await secrets.get();
    for (let i = 0; i < 50; i++) await secrets.get({ forceRefresh: true });
    expect(reads()).toBe(2);
    time += 10_000;
    await secrets.get({ forceRefresh: true });
    expect(reads()).toBe(3);
  });

  it("shares one read among concurrent callers", async () => {
    const secrets = source();
    const values = await Promise.all(Array.from({ length: 10 }, () => secrets.get()));
    expect(new Set(values)).toEqual(new Set(["first-secret-value"]));
    expect(reads()).toBe(1);
  });

  it("throws when nothing is cached and the service is down", async () => {
    service.setUnavailable(true);
    await expect(source().get()).rejects.toThrow();
  });

  it("throws when a forced refresh fails, so the caller can answer 503", async () => {
    const secrets = source();
    await secrets.get();
    service.setUnavailable(true);
    await expect(secrets.get({ forceRefresh: true })).rejects.toThrow();
  });

  it("serves the stale value when a routine refresh fails, and waits before trying again", async () => {
    const secrets = source({ maxAgeSeconds: 60, minRefreshIntervalMs: 10_000 });
    await secrets.get();
    service.setUnavailable(true);
    time += 60_000;
    expect(await secrets.get()).toBe("first-secret-value");
    const attempts = service.calls.get("GetSecretValue");
    expect(await secrets.get()).toBe("first-secret-value");
    expect(service.calls.get("GetSecretValue")).toBe(attempts);
    service.setUnavailable(false);
    await rotate("second-secret-value");
    time += 10_000;
    expect(await secrets.get()).toBe("second-secret-value");
  });

  it("never puts the secret value in its errors", async () => {
    const secrets = source();
    await secrets.get();
    service.setUnavailable(true);
    const error = await secrets.get({ forceRefresh: true }).catch((e: unknown) => e);
    expect(String(error)).not.toContain("first-secret-value");
  });
});
