import { createHash } from "node:crypto";
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListMessageMoveTasksCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { maskPhone } from "../lambdas/core/phone.js";
import { messageOf, OpsError } from "./errors.js";
import type { StackOutputs } from "./outputs.js";

/** The pipeline's two work queues, by the names operators use on the command line. */
export const QUEUE_LABELS = ["jobs", "replies"] as const;
export type QueueLabel = (typeof QUEUE_LABELS)[number];

export interface QueueRef {
  name: string;
  url: string;
  arn: string;
}

export interface QueuePair {
  label: QueueLabel;
  queue: QueueRef;
  deadLetter: QueueRef;
}

export interface QueueDepth {
  visible: number;
  inFlight: number;
  delayed: number;
}

async function queueRef(sqs: SQSClient, name: string): Promise<QueueRef> {
  try {
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }),
    );
    return { name, url: String(QueueUrl), arn: String(Attributes?.QueueArn) };
  } catch (error) {
    throw new OpsError(`queue ${name}: ${messageOf(error)}`, { cause: error });
  }
}

/** Looks the queue and its DLQ up by the names in the outputs. */
export async function queuePair(
  sqs: SQSClient,
  names: NonNullable<StackOutputs["queueNames"]>,
  label: QueueLabel,
): Promise<QueuePair> {
  const [queue, deadLetter] = await Promise.all([
    queueRef(sqs, names[label]),
    queueRef(sqs, names[`${label}DeadLetter`]),
  ]);
  return { label, queue, deadLetter };
}

export async function queueDepth(sqs: SQSClient, url: string): Promise<QueueDepth> {
  const { Attributes: a = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
      ],
    }),
  );
  return {
    visible: Number(a.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
    delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? 0),
  };
}

export const totalOf = (depth: QueueDepth) => depth.visible + depth.inFlight + depth.delayed;

/** A queued message as the CLI shows it: what it is and whom it concerns, never its content. */
export interface MessageSummary {
  id: string;
  /** Epoch ms the message was first sent to SQS (a redriven copy: when it was redriven). */
  sentAt: number | null;
  receiveCount: number | null;
  /** "webhook-job", "scheduled-reply", or "unreadable" for a body that is not the pipeline's. */
  kind: string;
  /** Masked: the last four digits only. */
  contact: string | null;
  /** Replies: the plan and position, e.g. "p-3f2a#1/2". */
  reply: string | null;
  /** Replies: when it was due (epoch ms). */
  dueAt: number | null;
  /** Body size in bytes: how much there is, without showing it. */
  bytes: number;
}

const record = (value: unknown): Record<string, unknown> | undefined =>
  typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;

/** A message body's JSON object, or undefined for anything else (a DLQ holds what failed). */
function bodyJson(body: string): Record<string, unknown> | undefined {
  try {
    return record(JSON.parse(body));
  } catch {
    return undefined;
  }
}

/**
 * Reads what a message is without trusting its shape: a DLQ holds exactly the messages that
 * failed, malformed ones included. The phone is masked, texts are never shown (a job holds the
 * customer's words; a reply's text may hold their name).
 */
export function summarizeMessage(message: Message): MessageSummary {
  const body = message.Body ?? "";
  const json = bodyJson(body);
  const webhook = record(json?.webhook);
  const phone = json?.phone ?? webhook?.phone;
  const number = (value: unknown) => (typeof value === "number" ? value : null);
  const attribute = (key: string) => {
    const value = message.Attributes?.[key as keyof typeof message.Attributes];
    return value === undefined ? null : Number(value);
  };
  const planId = typeof json?.planId === "string" ? json.planId : null;
  const seq = number(json?.seq);
  const total = number(json?.total);
  return {
    id: String(message.MessageId),
    sentAt: attribute("SentTimestamp"),
    receiveCount: attribute("ApproximateReceiveCount"),
    kind: typeof json?.kind === "string" ? json.kind : "unreadable",
    contact: typeof phone === "string" ? maskPhone(phone) : null,
    reply:
      planId !== null
        ? `${planId}#${seq === null ? "?" : seq + 1}/${total === null ? "?" : total}`
        : null,
    dueAt: number(json?.dueAt),
    bytes: Buffer.byteLength(body),
  };
}

/**
 * Up to `limit` messages of a queue without taking them: received with a visibility timeout of
 * 0, so they stay available to everyone else. A standard queue answers with a sample, so a few
 * receives are made; a message seen twice is counted once.
 */
export async function peekMessages(
  sqs: SQSClient,
  url: string,
  limit: number,
): Promise<MessageSummary[]> {
  const seen = new Map<string, MessageSummary>();
  for (let attempt = 0; attempt < 3 && seen.size < limit; attempt++) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: Math.min(10, limit - seen.size),
        VisibilityTimeout: 0,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ["SentTimestamp", "ApproximateReceiveCount"],
      }),
    );
    if (Messages.length === 0) break;
    for (const message of Messages) {
      const summary = summarizeMessage(message);
      if (!seen.has(summary.id) && seen.size < limit) seen.set(summary.id, summary);
    }
  }
  return [...seen.values()].sort((a, b) => (a.sentAt ?? 0) - (b.sentAt ?? 0));
}

export interface MoveResult {
  /** Messages sent to the work queue (each at most once per run). */
  moved: number;
  /** Sent to the work queue, but the DLQ copy could not be deleted: it will be redriven again. */
  duplicated: number;
  /** Moved by this run, failed again at once and back in the DLQ: left there, not moved again. */
  cameBack: number;
  /**
   * Sent to the DLQ after this run began (a copy a concurrent redrive moved that failed again,
   * or a new failure): left for the next redrive.
   */
  arrivedDuring: number;
}

export interface MoveOptions {
  /** Epoch ms the run began: DLQ messages sent after it are not what was there to move. */
  startedAt: number;
  /** At most this many moves: the DLQ's depth when the run began. */
  limit: number;
  onProgress?: (moved: number) => void;
}

/** How long a message being moved is hidden in the DLQ: if the CLI dies, it reappears there. */
const MOVE_VISIBILITY_SECONDS = 30;

/**
 * What a DLQ message is, whatever its id: a job by its message key, a reply by plan and position,
 * anything else by its body. A job that failed again comes back under a new message id (the
 * responder sends it to the DLQ itself, or SQS moves the copy this run sent), never a new key.
 */
function messageIdentity(message: Message): string {
  const body = message.Body ?? "";
  const json = bodyJson(body);
  if (json?.kind === "webhook-job" && typeof json.key === "string") return `job:${json.key}`;
  if (json?.kind === "scheduled-reply" && typeof json.planId === "string") {
    return `reply:${json.planId}#${String(json.seq)}`;
  }
  return `body:${createHash("sha256").update(body).digest("hex")}`;
}

/**
 * Moves the messages `from` held when the run began to `to`, each once, by receive, send, delete:
 * what a message-move task does, for SQS implementations without one (the local emulator). A
 * message leaves the DLQ only after the work queue accepted its copy, so a failure loses nothing:
 * at worst a message is in both, and the pipeline's idempotency makes the second delivery
 * harmless. A message that fails again at once comes back to the DLQ under a new id while the run
 * goes on; it is recognised (same job or reply, or sent after the run began) and left there,
 * so 30 failing jobs are moved 30 times, not 51, and two redrives at once move each job once.
 */
export async function moveMessages(
  sqs: SQSClient,
  from: QueueRef,
  to: QueueRef,
  options: MoveOptions,
): Promise<MoveResult> {
  const fifo = to.name.endsWith(".fifo");
  const result: MoveResult = { moved: 0, duplicated: 0, cameBack: 0, arrivedDuring: 0 };
  const seen = new Set<string>();
  const movedIdentities = new Set<string>();
  /** Messages received and left in the DLQ: handed back (visible again) when the run ends. */
  const held = new Map<string, string | undefined>();
  const release = (handles: (string | undefined)[]) =>
    Promise.all(
      handles.map((handle) =>
        sqs
          .send(
            new ChangeMessageVisibilityCommand({
              QueueUrl: from.url,
              ReceiptHandle: handle,
              VisibilityTimeout: 0,
            }),
          )
          .catch(() => undefined),
      ),
    );
  try {
    // Two receives in a row with nothing to move: what is left is held or being moved by others.
    for (let idle = 0; idle < 2 && result.moved < options.limit; ) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: from.url,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: MOVE_VISIBILITY_SECONDS,
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ["All"],
          MessageAttributeNames: ["All"],
        }),
      );
      if (Messages.length === 0) break;
      const toMove: Message[] = [];
      for (const message of Messages) {
        const id = String(message.MessageId);
        const identity = messageIdentity(message);
        const sentAt = Number(message.Attributes?.SentTimestamp ?? 0);
        const firstSight = !seen.has(id);
        seen.add(id);
        if (!firstSight) {
          held.set(id, message.ReceiptHandle);
        } else if (movedIdentities.has(identity)) {
          result.cameBack++;
          held.set(id, message.ReceiptHandle);
        } else if (sentAt > options.startedAt) {
          result.arrivedDuring++;
          held.set(id, message.ReceiptHandle);
        } else if (result.moved + toMove.length >= options.limit) {
          held.set(id, message.ReceiptHandle);
        } else {
          toMove.push(message);
          movedIdentities.add(identity);
        }
      }
      idle = toMove.length === 0 ? idle + 1 : 0;
      for (const [index, message] of toMove.entries()) {
        try {
          await sqs.send(new SendMessageCommand(copyOf(message, to.url, fifo)));
        } catch (error) {
          // Give this message and the rest of the batch straight back to the DLQ, rather than
          // after the visibility timeout.
          await release(toMove.slice(index).map((unmoved) => unmoved.ReceiptHandle));
          throw new OpsError(
            `moved ${result.moved} message(s), then ${to.name} refused one (${messageOf(error)}); ` +
              `it and the rest are still in ${from.name}`,
            { cause: error },
          );
        }
        try {
          await sqs.send(
            new DeleteMessageCommand({ QueueUrl: from.url, ReceiptHandle: message.ReceiptHandle }),
          );
        } catch {
          result.duplicated++;
        }
        result.moved++;
        options.onProgress?.(result.moved);
      }
    }
    return result;
  } finally {
    await release([...held.values()]);
  }
}

function copyOf(message: Message, queueUrl: string, fifo: boolean) {
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [key, value] of Object.entries(message.MessageAttributes ?? {})) {
    attributes[key] = {
      DataType: value.DataType,
      StringValue: value.StringValue,
      BinaryValue: value.BinaryValue,
    };
  }
  const fifoFields = fifo
    ? {
        MessageGroupId: message.Attributes?.MessageGroupId,
        // Not the original id: SQS would drop a copy sent within 5 minutes of the original as a
        // duplicate, and the DLQ copy would be deleted with nothing redelivered. The pipeline
        // dedupes redeliveries itself, by the message's key.
        MessageDeduplicationId: createHash("sha256")
          .update(
            `redrive:${message.MessageId}:${message.Attributes?.MessageDeduplicationId ?? ""}`,
          )
          .digest("hex"),
      }
    : {};
  return {
    QueueUrl: queueUrl,
    MessageBody: message.Body ?? "",
    ...(Object.keys(attributes).length ? { MessageAttributes: attributes } : {}),
    ...fifoFields,
  };
}

export interface MoveTaskStatus {
  handle: string | null;
  status: string;
  moved: number;
  toMove: number | null;
  failureReason: string | null;
}

/** Starts SQS's own message-move task from the DLQ back to the queue that sent the messages. */
export async function startMoveTask(sqs: SQSClient, deadLetter: QueueRef): Promise<string> {
  const { TaskHandle } = await sqs.send(
    new StartMessageMoveTaskCommand({ SourceArn: deadLetter.arn }),
  );
  return String(TaskHandle);
}

/** The newest move task of a DLQ, as SQS reports it. */
export async function moveTaskStatus(
  sqs: SQSClient,
  deadLetter: QueueRef,
): Promise<MoveTaskStatus | undefined> {
  const { Results = [] } = await sqs.send(
    new ListMessageMoveTasksCommand({ SourceArn: deadLetter.arn, MaxResults: 1 }),
  );
  const task = Results[0];
  if (!task) return undefined;
  return {
    handle: task.TaskHandle ?? null,
    status: task.Status ?? "UNKNOWN",
    moved: task.ApproximateNumberOfMessagesMoved ?? 0,
    toMove: task.ApproximateNumberOfMessagesToMove ?? null,
    failureReason: task.FailureReason ?? null,
  };
}

/**
 * The age of a queue's oldest message on the local emulator, from fauxqs's read-only inspection
 * endpoint (ready, in-flight and delayed messages, as SQS's ApproximateAgeOfOldestMessage
 * counts them). null when the queue is empty; throws when the endpoint is not fauxqs.
 */
export async function localOldestMessageAge(
  sqsEndpoint: string,
  queueName: string,
  now: number,
): Promise<number | null> {
  const response = await fetch(`${sqsEndpoint}/_fauxqs/queues/${encodeURIComponent(queueName)}`, {
    signal: AbortSignal.timeout(5000),
  });
  if (!response.ok) throw new OpsError(`queue inspection answered ${response.status}`);
  const state = (await response.json()) as {
    messages?: Record<string, { sentTimestamp?: number; message?: { sentTimestamp?: number } }[]>;
  };
  const sent = Object.values(state.messages ?? {})
    .flat()
    .map((entry) => entry.sentTimestamp ?? entry.message?.sentTimestamp)
    .filter((at): at is number => typeof at === "number");
  return sent.length === 0 ? null : now - Math.min(...sent);
}
