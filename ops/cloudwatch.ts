import {
  type CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type MetricDataQuery,
} from "@aws-sdk/client-cloudwatch";

/**
 * What CloudWatch knows about a deployed stack: Lambda error counts, the age of each queue's
 * oldest message, and the alarms that notify the stack's topic. Only on AWS: the local stack has
 * no CloudWatch, and the CLI says so rather than inventing numbers.
 */

export interface FunctionErrors {
  function: string;
  invocations: number;
  errors: number;
  throttles: number;
}

const LAMBDA_METRICS = ["Invocations", "Errors", "Throttles"] as const;

/** Sums of Invocations, Errors and Throttles per function over the last `windowMs`. */
export async function functionErrors(
  cloudWatch: CloudWatchClient,
  functions: Record<string, string>,
  windowMs: number,
  now: number,
): Promise<FunctionErrors[]> {
  const entries = Object.entries(functions);
  const period = Math.max(60, Math.ceil(windowMs / 1000 / 60) * 60);
  const queries: MetricDataQuery[] = entries.flatMap(([, name], i) =>
    LAMBDA_METRICS.map((metric) => ({
      Id: `m${i}${metric.toLowerCase()}`,
      MetricStat: {
        Metric: {
          Namespace: "AWS/Lambda",
          MetricName: metric,
          Dimensions: [{ Name: "FunctionName", Value: name }],
        },
        Period: period,
        Stat: "Sum",
      },
    })),
  );
  const values = await metricSums(cloudWatch, queries, now - windowMs, now);
  return entries.map(([, name], i) => ({
    function: name,
    invocations: values.get(`m${i}invocations`) ?? 0,
    errors: values.get(`m${i}errors`) ?? 0,
    throttles: values.get(`m${i}throttles`) ?? 0,
  }));
}

/** The newest ApproximateAgeOfOldestMessage of each queue (ms; null when SQS reported none). */
export async function oldestMessageAges(
  cloudWatch: CloudWatchClient,
  queueNames: string[],
  now: number,
): Promise<Map<string, number | null>> {
  const queries: MetricDataQuery[] = queueNames.map((name, i) => ({
    Id: `q${i}`,
    MetricStat: {
      Metric: {
        Namespace: "AWS/SQS",
        MetricName: "ApproximateAgeOfOldestMessage",
        Dimensions: [{ Name: "QueueName", Value: name }],
      },
      Period: 60,
      Stat: "Maximum",
    },
  }));
  // SQS publishes queue metrics every minute, a few minutes late: look back 15 minutes.
  const newest = await metricSums(cloudWatch, queries, now - 15 * 60_000, now, "newest");
  return new Map(
    queueNames.map((name, i) => {
      const seconds = newest.get(`q${i}`);
      return [name, seconds === undefined ? null : seconds * 1000];
    }),
  );
}

async function metricSums(
  cloudWatch: CloudWatchClient,
  queries: MetricDataQuery[],
  start: number,
  end: number,
  pick: "sum" | "newest" = "sum",
): Promise<Map<string, number>> {
  const values = new Map<string, number>();
  let NextToken: string | undefined;
  do {
    const page = await cloudWatch.send(
      new GetMetricDataCommand({
        MetricDataQueries: queries,
        StartTime: new Date(start),
        EndTime: new Date(end),
        ScanBy: "TimestampDescending",
        NextToken,
      }),
    );
    for (const result of page.MetricDataResults ?? []) {
      const id = String(result.Id);
      const points = result.Values ?? [];
      if (points.length === 0) continue;
      if (pick === "newest") {
        if (!values.has(id)) values.set(id, points[0] as number);
      } else {
        values.set(id, (values.get(id) ?? 0) + points.reduce((sum, value) => sum + value, 0));
      }
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return values;
}

export interface AlarmState {
  name: string;
  state: string;
  /** Epoch ms of the last state change. */
  since: number | null;
  reason: string | null;
}

/** Every metric alarm that notifies the stack's alarm topic (that is how the stack's are found). */
export async function stackAlarms(
  cloudWatch: CloudWatchClient,
  alarmTopicArn: string,
): Promise<AlarmState[]> {
  const alarms: AlarmState[] = [];
  let NextToken: string | undefined;
  do {
    const page = await cloudWatch.send(
      new DescribeAlarmsCommand({
        ActionPrefix: alarmTopicArn,
        AlarmTypes: ["MetricAlarm"],
        NextToken,
      }),
    );
    for (const alarm of page.MetricAlarms ?? []) {
      alarms.push({
        name: String(alarm.AlarmName),
        state: String(alarm.StateValue ?? "UNKNOWN"),
        since: alarm.StateUpdatedTimestamp?.getTime() ?? null,
        reason: alarm.StateReason ?? null,
      });
    }
    NextToken = page.NextToken;
  } while (NextToken);
  // Alarming first, then insufficient data, then OK; by name within each.
  const rank = (state: string) => (state === "ALARM" ? 0 : state === "OK" ? 2 : 1);
  return alarms.sort((a, b) => rank(a.state) - rank(b.state) || a.name.localeCompare(b.name));
}
