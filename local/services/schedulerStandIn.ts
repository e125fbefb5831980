import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { join } from "node:path";
import { GetQueueUrlCommand, SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { listenOnLoopback } from "./freePort.js";

/**
 * A small EventBridge Scheduler stand-in (npm has no emulator of it) that speaks the SDK's
 * REST-JSON protocol for the calls the pipeline and the ops CLI make: CreateSchedule
 * (`POST /schedules/{Name}`), GetSchedule (`GET /schedules/{Name}?groupName=`), DeleteSchedule
 * (`DELETE /schedules/{Name}?groupName=`), ListSchedules (`GET /schedules?ScheduleGroup=`), and
 * CreateScheduleGroup / GetScheduleGroup for provisioning. Paths, query names and shapes are the
 * ones of @aws-sdk/client-scheduler's own model (dist-es/schemas/schemas_0.js); errors carry their
 * type in `x-amzn-errortype` and `{"Message"}` as the service answers. Sources and what is left
 * out: test/fixtures/contracts/scheduler/README.md.
 *
 * It fires one-time `at()` schedules (UTC) onto SQS (fauxqs): the target's Input as the message
 * body, to the queue the target ARN names. A send that fails is tried again every tick until the
 * RetryPolicy's attempts or event age run out, then the Input goes to the DeadLetterConfig queue
 * with Scheduler's error attributes. ActionAfterCompletion DELETE deletes a schedule once fired.
 * With `dataDir` the groups and schedules are kept in `dataDir/schedules.json` across restarts.
 * The clock is injectable (`now`), so a test can run a 60-day schedule on a compressed clock.
 */

interface Target {
  Arn: string;
  RoleArn: string;
  Input?: string;
  DeadLetterConfig?: { Arn?: string };
  RetryPolicy?: { MaximumEventAgeInSeconds?: number; MaximumRetryAttempts?: number };
  SqsParameters?: { MessageGroupId?: string };
}

interface Schedule {
  Name: string;
  GroupName: string;
  Arn: string;
  ScheduleExpression: string;
  ScheduleExpressionTimezone: string;
  State: "ENABLED" | "DISABLED";
  ActionAfterCompletion: "NONE" | "DELETE";
  FlexibleTimeWindow: { Mode: string; MaximumWindowInMinutes?: number };
  Target: Target;
  Description?: string;
  CreationDate: number;
  LastModificationDate: number;
  /** Epoch ms the at() expression names. */
  fireAt: number;
  /** Failed sends so far. */
  attempts: number;
  /** Fired (with ActionAfterCompletion NONE it stays, and fires no more). */
  completed: boolean;
}

interface Group {
  Name: string;
  Arn: string;
  State: "ACTIVE";
  CreationDate: number;
  LastModificationDate: number;
}

export interface RunningScheduler {
  endpoint: string;
  /** API calls received, by operation name (CreateSchedule, …); for call-count benchmarks. */
  calls: Map<string, number>;
  /** Schedules fired onto their queue (each send counts; a DLQ send does not). */
  fired(): number;
  /** Schedules not yet fired, by group. */
  pending(groupName?: string): number;
  /** Fires every schedule due by the clock now; resolves when they are sent. */
  tick(): Promise<void>;
  /** Makes every API request fail with 500 while true (fault injection in tests). */
  setUnavailable(unavailable: boolean): void;
  stop(): Promise<void>;
}

export interface SchedulerStandInOptions {
  /** fauxqs's endpoint: where schedules fire to. */
  sqsEndpoint: string;
  port?: number;
  /** Keep groups and schedules in `dataDir/schedules.json`. */
  dataDir?: string;
  /** The stand-in's clock (epoch ms); default Date.now. */
  now?: () => number;
  /** How often due schedules are looked for, in ms (real time); default 200. */
  pollMs?: number;
}

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

const REGION = "us-east-1";
const ACCOUNT = "000000000000";
/** Scheduler's own defaults when a target has no RetryPolicy (API_RetryPolicy). */
const DEFAULT_RETRY = { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 };
/** Names: 1..64 of [0-9a-zA-Z-_.] (API_CreateSchedule, Name). */
const NAME = /^[0-9a-zA-Z-_.]{1,64}$/;
const AT = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/;

const notFound = (what: string) => new ApiError("ResourceNotFoundException", what, 404);
const invalid = (what: string) => new ApiError("ValidationException", what, 400);

/** The queue name an SQS ARN (arn:aws:sqs:region:account:name) names. */
function queueNameOf(arn: string): string {
  const name = arn.split(":")[5];
  if (!arn.startsWith("arn:") || !name) throw invalid(`not an SQS queue ARN: ${arn}`);
  return name;
}

export async function startSchedulerStandIn(
  options: SchedulerStandInOptions,
): Promise<RunningScheduler> {
  const now = options.now ?? Date.now;
  const groups = new Map<string, Group>();
  const schedules = new Map<string, Schedule>();
  const calls = new Map<string, number>();
  const key = (group: string, name: string) => `${group}/${name}`;
  let unavailable = false;
  let fired = 0;

  const file = options.dataDir ? join(options.dataDir, "schedules.json") : undefined;
  if (file) {
    mkdirSync(options.dataDir as string, { recursive: true });
    try {
      const kept = JSON.parse(readFileSync(file, "utf8")) as {
        groups: Group[];
        schedules: Schedule[];
      };
      for (const g of kept.groups) groups.set(g.Name, g);
      for (const s of kept.schedules) schedules.set(key(s.GroupName, s.Name), s);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  /** Written whole after each change (a temporary file, then a rename: never half a file). */
  const save = () => {
    if (!file) return;
    const body = JSON.stringify({
      groups: [...groups.values()],
      schedules: [...schedules.values()],
    });
    writeFileSync(`${file}.tmp`, body);
    renameSync(`${file}.tmp`, file);
  };

  const groupArn = (name: string) =>
    `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule-group/${name}`;
  const groupOf = (name: string | null | undefined): string => {
    const group = name || "default";
    if (group !== "default" && !groups.has(group)) {
      throw notFound(`Schedule group ${group} does not exist.`);
    }
    return group;
  };
  const find = (name: string, group: string | null): Schedule => {
    const schedule = schedules.get(key(groupOf(group), name));
    if (!schedule) throw notFound(`Schedule ${name} does not exist.`);
    return schedule;
  };
  const seconds = (ms: number) => ms / 1000;

  const createSchedule = (name: string, input: Record<string, unknown>) => {
    if (!NAME.test(name)) throw invalid(`Name ${name} must be 1..64 of [0-9a-zA-Z-_.]`);
    const group = groupOf(input.GroupName as string | undefined);
    if (schedules.has(key(group, name))) {
      throw new ApiError("ConflictException", `Schedule ${name} already exists.`, 409);
    }
    const expression = String(input.ScheduleExpression ?? "");
    const at = AT.exec(expression);
    if (!at) throw invalid(`this stand-in runs one-time at() schedules only, not ${expression}`);
    const zone = String(input.ScheduleExpressionTimezone ?? "UTC");
    if (zone !== "UTC") throw invalid(`this stand-in runs UTC schedules only, not ${zone}`);
    const window = input.FlexibleTimeWindow as Schedule["FlexibleTimeWindow"] | undefined;
    if (!window?.Mode) throw invalid("FlexibleTimeWindow.Mode is required");
    const target = input.Target as Target | undefined;
    if (!target?.Arn || !target.RoleArn)
      throw invalid("Target.Arn and Target.RoleArn are required");
    queueNameOf(target.Arn);
    const at0 = Date.parse(`${at[1]}Z`);
    const created = now();
    const schedule: Schedule = {
      Name: name,
      GroupName: group,
      Arn: `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/${group}/${name}`,
      ScheduleExpression: expression,
      ScheduleExpressionTimezone: zone,
      State: input.State === "DISABLED" ? "DISABLED" : "ENABLED",
      ActionAfterCompletion: input.ActionAfterCompletion === "DELETE" ? "DELETE" : "NONE",
      FlexibleTimeWindow: window,
      Target: target,
      ...(typeof input.Description === "string" ? { Description: input.Description } : {}),
      CreationDate: seconds(created),
      LastModificationDate: seconds(created),
      fireAt: at0,
      attempts: 0,
      completed: false,
    };
    schedules.set(key(group, name), schedule);
    save();
    return { ScheduleArn: schedule.Arn };
  };

  const view = (s: Schedule) => {
    const { fireAt: _f, attempts: _a, completed: _c, ...shape } = s;
    return shape;
  };

  const route = (method: string, url: URL, input: Record<string, unknown>): [string, unknown] => {
    const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    const q = url.searchParams;
    if (parts[0] === "schedules" && parts.length === 2) {
      const name = parts[1] as string;
      if (method === "POST") return ["CreateSchedule", createSchedule(name, input)];
      if (method === "GET") return ["GetSchedule", view(find(name, q.get("groupName")))];
      if (method === "DELETE") {
        const schedule = find(name, q.get("groupName"));
        schedules.delete(key(schedule.GroupName, name));
        save();
        return ["DeleteSchedule", {}];
      }
    }
    if (parts[0] === "schedules" && parts.length === 1 && method === "GET") {
      const group = q.get("ScheduleGroup");
      const prefix = q.get("NamePrefix") ?? "";
      const state = q.get("State");
      const max = Math.min(100, Number(q.get("MaxResults") ?? 100) || 100);
      const start = Number(q.get("NextToken") ?? 0) || 0;
      const all = [...schedules.values()]
        .filter((s) => (group ? s.GroupName === group : true))
        .filter((s) => s.Name.startsWith(prefix) && (!state || s.State === state))
        .sort((a, b) => key(a.GroupName, a.Name).localeCompare(key(b.GroupName, b.Name)));
      const page = all.slice(start, start + max).map((s) => ({
        Arn: s.Arn,
        Name: s.Name,
        GroupName: s.GroupName,
        State: s.State,
        CreationDate: s.CreationDate,
        LastModificationDate: s.LastModificationDate,
        Target: { Arn: s.Target.Arn },
      }));
      const next = start + max < all.length ? { NextToken: String(start + max) } : {};
      return ["ListSchedules", { Schedules: page, ...next }];
    }
    if (parts[0] === "schedule-groups" && parts.length === 2) {
      const name = parts[1] as string;
      if (method === "POST") {
        if (!NAME.test(name)) throw invalid(`Name ${name} must be 1..64 of [0-9a-zA-Z-_.]`);
        if (groups.has(name)) {
          throw new ApiError("ConflictException", `Schedule group ${name} already exists.`, 409);
        }
        const at = seconds(now());
        groups.set(name, {
          Name: name,
          Arn: groupArn(name),
          State: "ACTIVE",
          CreationDate: at,
          LastModificationDate: at,
        });
        save();
        return ["CreateScheduleGroup", { ScheduleGroupArn: groupArn(name) }];
      }
      if (method === "GET") {
        const group = groups.get(name);
        if (!group) throw notFound(`Schedule group ${name} does not exist.`);
        return ["GetScheduleGroup", group];
      }
    }
    throw new ApiError(
      "UnknownOperationException",
      `unknown operation ${method} ${url.pathname}`,
      404,
    );
  };

  const respond = (res: ServerResponse, status: number, body: unknown, errorType?: string) => {
    res.writeHead(status, {
      "content-type": "application/json",
      ...(errorType ? { "x-amzn-errortype": errorType } : {}),
    });
    res.end(JSON.stringify(body));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const method = req.method ?? "GET";
    const url = new URL(req.url ?? "/", "http://localhost");
    if (unavailable) {
      calls.set("unavailable", (calls.get("unavailable") ?? 0) + 1);
      return respond(res, 500, { Message: "stand-in unavailable" }, "InternalServerException");
    }
    let operation = "other";
    try {
      const text = Buffer.concat(chunks).toString("utf8");
      const input = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      const [name, output] = route(method, url, input);
      operation = name;
      respond(res, 200, output);
    } catch (error) {
      if (error instanceof ApiError) {
        respond(res, error.status, { Message: error.message }, error.type);
      } else {
        respond(res, 400, { Message: "malformed request" }, "ValidationException");
      }
    } finally {
      calls.set(operation, (calls.get(operation) ?? 0) + 1);
    }
  };

  const sqs = new SQSClient({
    endpoint: options.sqsEndpoint,
    region: REGION,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    useQueueUrlAsEndpoint: false,
  });
  const queueUrls = new Map<string, string>();
  const send = async (arn: string, body: string, attributes?: Record<string, string>) => {
    const name = queueNameOf(arn);
    let url = queueUrls.get(name);
    if (!url) {
      url = String((await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl);
      queueUrls.set(name, url);
    }
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: body,
        ...(attributes
          ? {
              MessageAttributes: Object.fromEntries(
                Object.entries(attributes).map(([k, v]) => [
                  k,
                  { DataType: "String", StringValue: v },
                ]),
              ),
            }
          : {}),
      }),
    );
  };

  let firing: Promise<void> | undefined;
  const fireDue = async () => {
    const at = now();
    const due = [...schedules.values()]
      .filter((s) => s.State === "ENABLED" && !s.completed && s.fireAt <= at)
      .sort((a, b) => a.fireAt - b.fireAt);
    for (const schedule of due) {
      // The default notification when a target has no Input (not used by the pipeline).
      const body = schedule.Target.Input ?? JSON.stringify({ schedule: schedule.Arn });
      const finish = () => {
        if (schedule.ActionAfterCompletion === "DELETE") {
          schedules.delete(key(schedule.GroupName, schedule.Name));
        } else {
          schedule.completed = true;
        }
      };
      try {
        await send(schedule.Target.Arn, body);
        fired += 1;
        finish();
      } catch (error) {
        schedule.attempts += 1;
        const retry = { ...DEFAULT_RETRY, ...schedule.Target.RetryPolicy };
        const tooOld = at - schedule.fireAt > retry.MaximumEventAgeInSeconds * 1000;
        if (schedule.attempts > retry.MaximumRetryAttempts || tooOld) {
          const dlq = schedule.Target.DeadLetterConfig?.Arn;
          if (dlq) {
            await send(dlq, body, {
              ERROR_CODE: "SQS.SendMessageFailed",
              ERROR_MESSAGE: (error as Error).message.slice(0, 200),
              EXHAUSTED_RETRY_CONDITION: tooOld
                ? "MaximumEventAgeInSeconds"
                : "MaximumRetryAttempts",
              RETRY_ATTEMPTS: String(schedule.attempts - 1),
            }).catch(() => undefined);
          }
          finish();
        }
      }
      save();
    }
  };
  const tick = () => {
    firing ??= fireDue().finally(() => {
      firing = undefined;
    });
    return firing;
  };
  const timer = setInterval(() => void tick().catch(() => undefined), options.pollMs ?? 200);
  timer.unref();

  const server = createServer((req, res) => {
    handle(req, res).catch(() =>
      respond(res, 500, { Message: "internal" }, "InternalServerException"),
    );
  });
  const listening = await listenOnLoopback(server, options.port);
  return {
    endpoint: listening.endpoint,
    calls,
    fired: () => fired,
    pending: (groupName) =>
      [...schedules.values()].filter(
        (s) => !s.completed && (groupName === undefined || s.GroupName === groupName),
      ).length,
    tick,
    setUnavailable: (value) => {
      unavailable = value;
    },
    stop: async () => {
      clearInterval(timer);
      await firing?.catch(() => undefined);
      await listening.close();
      sqs.destroy();
    },
  };
}
