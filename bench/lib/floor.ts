import { createHash } from "node:crypto";
import { SendMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { FUNCTIONS, WEBHOOK_ROUTE } from "../../lambdas/contract.js";
import { startHttpApiAdapter } from "../../local/httpApiAdapter.js";

/**
 * The floor the receiver is measured against: the one AWS call it cannot avoid, issued bare —
 * SendMessage of a job-sized body to the FIFO jobs queue with the receiver's deduplication id and
 * group. Same SDK client (lambdas/adapters/awsClients.ts), same fauxqs, same process as the
 * receiver. A repeat (same deduplication id) is the same call: SQS answers it like the first.
 */
export class ReceiverFloor {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    /** The message body to enqueue: a real WebhookJob's JSON, so the size matches. */
    private readonly jobBody: string,
    /** The contact (MessageGroupId); the sample's digits. */
    private readonly groupId: string,
  ) {}

  /** Enqueues under `key`; resolves "accepted" like the receiver (which cannot tell a repeat). */
  async receive(key: string): Promise<"accepted"> {
    await this.sqs.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: this.jobBody,
        MessageDeduplicationId: key,
        MessageGroupId: this.groupId,
      }),
    );
    return "accepted";
  }
}

/** The floor's key for a body: SHA-256 of the raw bytes (the receiver derives its key too). */
export function floorKey(body: string): string {
  return createHash("sha256").update(body, "utf8").digest("hex");
}

/**
 * The floor behind the same HTTP API stand-in as the receiver (local/httpApiAdapter.ts, payload
 * 2.0 events, same route): what is left between it and the receiver is the receiver's own work
 * (signature check, parsing, key, log line).
 */
export async function startFloorServer(
  floor: ReceiverFloor,
): Promise<{ url: string; stop(): Promise<void> }> {
  const api = await startHttpApiAdapter({
    port: 0,
    routes: [
      {
        method: WEBHOOK_ROUTE.method,
        path: WEBHOOK_ROUTE.path,
        functionName: FUNCTIONS.receiver,
        handler: async (event) => {
          const body = event.isBase64Encoded
            ? Buffer.from(event.body ?? "", "base64").toString("utf8")
            : (event.body ?? "");
          try {
            const status = await floor.receive(floorKey(body));
            return {
              statusCode: 200,
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ status }),
            };
          } catch {
            return { statusCode: 503, body: "" };
          }
        },
      },
    ],
  });
  return { url: `${api.url}${WEBHOOK_ROUTE.path}`, stop: () => api.stop() };
}
