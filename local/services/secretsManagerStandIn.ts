import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { listenOnLoopback } from "./freePort.js";

/**
 * A small Secrets Manager stand-in that speaks the SDK's awsJson1_1 protocol
 * (POST /, X-Amz-Target: secretsmanager.<Operation>). Written by hand because npm has no
 * Secrets Manager emulator. It keeps AWSCURRENT/AWSPREVIOUS stages.
 */

interface Version {
  id: string;
  value: string;
  stages: Set<string>;
  createdAt: number;
}

interface Secret {
  name: string;
  arn: string;
  versions: Version[];
  deleted: boolean;
}

export interface RunningSecretsManager {
  endpoint: string;
  /** API calls received, by operation name; for call-count benchmarks. */
  calls: Map<string, number>;
  /** Makes every request fail with 500 while true (fault injection in tests). */
  setUnavailable(unavailable: boolean): void;
  stop(): Promise<void>;
}

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const REGION = "us-east-1";
const ACCOUNT = "000000000000";

export async function startSecretsManager(
  options: { port?: number } = {},
): Promise<RunningSecretsManager> {
  const secrets = new Map<string, Secret>();
  const calls = new Map<string, number>();
  let unavailable = false;

  const find = (id: unknown): Secret => {
    const key = String(id ?? "");
    const secret = secrets.get(key) ?? [...secrets.values()].find((s) => s.arn === key);
    if (!secret || secret.deleted) {
      throw new ApiError(
        "ResourceNotFoundException",
        "Secrets Manager can't find the specified secret.",
      );
    }
    return secret;
  };

  const addVersion = (secret: Secret, value: string, token?: unknown) => {
    for (const v of secret.versions) {
      v.stages.delete("AWSPREVIOUS");
      if (v.stages.delete("AWSCURRENT")) v.stages.add("AWSPREVIOUS");
    }
    const version = {
      id: typeof token === "string" && token ? token : randomUUID(),
      value,
      stages: new Set(["AWSCURRENT"]),
      createdAt: Date.now() / 1000,
    };
    secret.versions.push(version);
    return version;
  };

  const operations: Record<string, (input: Record<string, unknown>) => unknown> = {
    CreateSecret(input) {
      const name = String(input.Name ?? "");
      if (!name) throw new ApiError("InvalidParameterException", "Name is required.");
      if (secrets.get(name)?.deleted === false) {
        throw new ApiError(
          "ResourceExistsException",
          `The operation failed because the secret ${name} already exists.`,
        );
      }
      const secret: Secret = {
        name,
        arn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${name}-${randomUUID().slice(0, 6)}`,
        versions: [],
        deleted: false,
      };
      secrets.set(name, secret);
      const version =
        typeof input.SecretString === "string"
          ? addVersion(secret, input.SecretString, input.ClientRequestToken)
          : undefined;
      return { ARN: secret.arn, Name: name, VersionId: version?.id };
    },
    PutSecretValue(input) {
      const secret = find(input.SecretId);
      if (typeof input.SecretString !== "string") {
        throw new ApiError("InvalidParameterException", "SecretString is required.");
      }
      const version = addVersion(secret, input.SecretString, input.ClientRequestToken);
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version.id,
        VersionStages: [...version.stages],
      };
    },
    GetSecretValue(input) {
      const secret = find(input.SecretId);
      const stage = typeof input.VersionStage === "string" ? input.VersionStage : undefined;
      const versionId = typeof input.VersionId === "string" ? input.VersionId : undefined;
      const version = secret.versions.find((v) =>
        versionId ? v.id === versionId : v.stages.has(stage ?? "AWSCURRENT"),
      );
      if (!version) {
        throw new ApiError(
          "ResourceNotFoundException",
          "Secrets Manager can't find the specified secret value.",
        );
      }
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionId: version.id,
        SecretString: version.value,
        VersionStages: [...version.stages],
        CreatedDate: version.createdAt,
      };
    },
    DescribeSecret(input) {
      const secret = find(input.SecretId);
      return {
        ARN: secret.arn,
        Name: secret.name,
        VersionIdsToStages: Object.fromEntries(secret.versions.map((v) => [v.id, [...v.stages]])),
      };
    },
    DeleteSecret(input) {
      const secret = find(input.SecretId);
      secret.deleted = true;
      return { ARN: secret.arn, Name: secret.name, DeletionDate: Date.now() / 1000 };
    },
  };

  const respond = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { "content-type": "application/x-amz-json-1.1" });
    res.end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = String(req.headers["x-amz-target"] ?? "");
    const operation = target.startsWith("secretsmanager.")
      ? target.slice("secretsmanager.".length)
      : "";
    calls.set(operation || "other", (calls.get(operation || "other") ?? 0) + 1);
    if (unavailable)
      return respond(res, 500, { __type: "InternalServiceError", message: "stand-in unavailable" });
    const run = operations[operation];
    if (req.method !== "POST" || !run) {
      return respond(res, 400, {
        __type: "UnknownOperationException",
        message: `unknown operation ${target}`,
      });
    }
    try {
      const input = chunks.length
        ? (JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>)
        : {};
      respond(res, 200, run(input));
    } catch (err) {
      if (err instanceof ApiError)
        return respond(res, err.status, { __type: err.type, message: err.message });
      respond(res, 400, { __type: "InvalidRequestException", message: "malformed request" });
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() =>
      respond(res, 500, { __type: "InternalServiceError", message: "internal" }),
    );
  });
  const listening = await listenOnLoopback(server, options.port);
  return {
    endpoint: listening.endpoint,
    calls,
    setUnavailable: (value) => {
      unavailable = value;
    },
    stop: () => listening.close(),
  };
}
