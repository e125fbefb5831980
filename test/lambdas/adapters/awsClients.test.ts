import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  createDocumentClient,
  createSecretsManagerClient,
  createSqsClient,
} from "../../../lambdas/adapters/awsClients.js";

const CREDENTIAL_VARS = [
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_SHARED_CREDENTIALS_FILE",
  "AWS_CONFIG_FILE",
  "AWS_PROFILE",
] as const;
const saved = new Map(CREDENTIAL_VARS.map((name) => [name, process.env[name]]));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "aws-clients-"));
});

afterEach(() => {
  for (const [name, value] of saved) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const factories = {
  createDocumentClient: () => createDocumentClient().config.credentials,
  createSqsClient: () => createSqsClient().config.credentials,
  createSecretsManagerClient: () => createSecretsManagerClient().config.credentials,
};

describe("awsClients", () => {
  it.each(Object.entries(factories))(
    "%s signs with the credentials Lambda puts in the environment",
    async (_name, credentialsOf) => {
      process.env.AWS_ACCESS_KEY_ID = "AKIDFROMENVIRONMENT0";
      process.env.AWS_SECRET_ACCESS_KEY = "secret-from-environment";
      process.env.AWS_SESSION_TOKEN = "session-from-environment";
      await expect(credentialsOf()()).resolves.toMatchObject({
        accessKeyId: "AKIDFROMENVIRONMENT0",
        secretAccessKey: "secret-from-environment",
        sessionToken: "session-from-environment",
      });
    },
  );

  it.each(Object.entries(factories))(
    "%s looks nowhere else: a shared credentials file is ignored when the environment has none",
    async (_name, credentialsOf) => {
      const file = path.join(dir, "credentials");
      await writeFile(
        file,
        "[default]\naws_access_key_id = AKIDFROMFILE\naws_secret_access_key = x\n",
      );
      for (const name of CREDENTIAL_VARS) delete process.env[name];
      process.env.AWS_SHARED_CREDENTIALS_FILE = file;
      process.env.AWS_CONFIG_FILE = path.join(dir, "config");
      await expect(credentialsOf()()).rejects.toThrow(/environment variable credentials/);
    },
  );
});
