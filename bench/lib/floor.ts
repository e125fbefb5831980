import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { type DynamoDBDocumentClient, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { DEFAULTS } from "../../lambdas/contract.js";

/**
 * The floor the receiver is measured against: the two AWS calls it cannot avoid, issued bare —
 * the idempotency claim (a conditional PutItem with the receiver's item shape and condition) and,
 * when the claim is won, one SendMessage of a job-sized body. Same SDK clients (lambdas/adapters/
 * awsClients.ts), same emulators, same process as the receiver. With `markQueued` it also issues
 * the receiver's third call, the UpdateItem that marks the claim queued, so the receiver's code
 * can be told apart from its choice of calls.
 */
export class ReceiverFloor {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly sqs: SQSClient,
    private readonly tableName: string,
    private readonly queueUrl: string,
    /** The message body to enqueue: a real WebhookJob's JSON, so the size matches. */
    private readonly jobBody: string,
  ) {}

  /** Claim `key`; if won, enqueue (and mark). Resolves "accepted" or "duplicate" like the receiver. */
  async receive(
    key: string,
    options: { markQueued?: boolean } = {},
  ): Promise<"accepted" | "duplicate"> {
    const now = Date.now();
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: key,
            status: "IN_PROGRESS",
            token: key.slice(0, 36),
            inProgressUntil: now + DEFAULTS.inProgressTtlSeconds * 1000,
            expiresAt: Math.floor(now / 1000) + DEFAULTS.idempotencyTtlSeconds,
          },
          ConditionExpression:
            "attribute_not_exists(pk) OR (#status = :inProgress AND #lease < :now) OR #expiresAt < :nowSeconds",
          ExpressionAttributeNames: {
            "#status": "status",
            "#lease": "inProgressUntil",
            "#expiresAt": "expiresAt",
          },
          ExpressionAttributeValues: {
            ":inProgress": "IN_PROGRESS",
            ":now": now,
            ":nowSeconds": Math.floor(now / 1000),
          },
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
    } catch (error) {
      if ((error as Error).name === "ConditionalCheckFailedException") return "duplicate";
      throw error;
    }
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: this.jobBody,
        DelaySeconds: 0,
      }),
    );
    if (options.markQueued) {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: key },
          UpdateExpression: "SET #status = :queued, #expiresAt = :expiresAt",
          ConditionExpression: "#token = :token",
          ExpressionAttributeNames: {
            "#status": "status",
            "#expiresAt": "expiresAt",
            "#token": "token",
          },
          ExpressionAttributeValues: {
            ":queued": "QUEUED",
            ":expiresAt": Math.floor(now / 1000) + DEFAULTS.idempotencyTtlSeconds,
            ":token": key.slice(0, 36),
          },
        }),
      );
    }
    return "accepted";
  }
}

/** The floor's key for a body: SHA-256 of the raw bytes (the receiver derives its key too). */
export function floorKey(body: string): string {
  return createHash("sha256").update(body, "utf8").digest("hex");
}

/**
 * The floor behind a bare node:http server on 127.0.0.1: the same HTTP hop the receiver has,
 * without the API Gateway stand-in, signature check, parsing or logging. Separates the cost of
 * HTTP itself from the receiver's own work.
 */
export async function startFloorServer(
  floor: ReceiverFloor,
): Promise<{ url: string; stop(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      floor.receive(floorKey(Buffer.concat(chunks).toString("utf8"))).then(
        (status) => {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify({ status }));
        },
        () => {
          res.writeHead(503);
          res.end();
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
