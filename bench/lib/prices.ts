/**
 * AWS list prices (us-east-1, no free tier) used by the cost model, each citing AWS's own pricing
 * page. The stack files deploy to eu-west-1, where some prices are up to ~10% higher (DynamoDB,
 * CloudWatch Logs); check the page for your region before budgeting.
 */

export interface Price {
  /** US dollars per `per` units. */
  usd: number;
  per: number;
  unit: string;
  source: string;
}

export const PRICES = {
  httpApiRequest: {
    usd: 1.0,
    per: 1e6,
    unit: "HTTP API request (first 300M/month; metered per 512 KB)",
    source: "https://aws.amazon.com/api-gateway/pricing/",
  },
  lambdaRequest: {
    usd: 0.2,
    per: 1e6,
    unit: "Lambda request",
    source: "https://aws.amazon.com/lambda/pricing/",
  },
  lambdaGbSecondArm64: {
    usd: 0.0000133334,
    per: 1,
    unit: "Lambda GB-second, arm64 (billed per 1 ms; INIT billed since 2025-08-01)",
    source: "https://aws.amazon.com/lambda/pricing/",
  },
  sqsRequest: {
    usd: 0.4,
    per: 1e6,
    unit: "SQS standard request (each 64 KB chunk is one request; empty receives billed)",
    source: "https://aws.amazon.com/sqs/pricing/",
  },
  sqsFifoRequest: {
    usd: 0.5,
    per: 1e6,
    unit: "SQS FIFO request (each 64 KB chunk is one request; empty receives billed)",
    source: "https://aws.amazon.com/sqs/pricing/",
  },
  dynamoDbWru: {
    usd: 0.625,
    per: 1e6,
    unit: "DynamoDB on-demand write request unit (1 KB)",
    source: "https://aws.amazon.com/dynamodb/pricing/on-demand/",
  },
  dynamoDbRru: {
    usd: 0.125,
    per: 1e6,
    unit: "DynamoDB on-demand read request unit (4 KB strongly consistent)",
    source: "https://aws.amazon.com/dynamodb/pricing/on-demand/",
  },
  secretsManagerCall: {
    usd: 0.05,
    per: 1e4,
    unit: "Secrets Manager API call",
    source: "https://aws.amazon.com/secrets-manager/pricing/",
  },
  secretMonth: {
    usd: 0.4,
    per: 1,
    unit: "Secrets Manager secret per month",
    source: "https://aws.amazon.com/secrets-manager/pricing/",
  },
  logsGbIngested: {
    usd: 0.5,
    per: 1e9,
    unit: "CloudWatch Logs byte ingested, Standard class ($0.50/GB)",
    source: "https://aws.amazon.com/cloudwatch/pricing/",
  },
  logsGbIngestedInfrequentAccess: {
    usd: 0.25,
    per: 1e9,
    unit: "CloudWatch Logs byte ingested, Infrequent Access class ($0.25/GB)",
    source: "https://aws.amazon.com/cloudwatch/pricing/",
  },
  alarmMonth: {
    usd: 0.1,
    per: 1,
    unit: "CloudWatch standard-resolution alarm per month",
    source: "https://aws.amazon.com/cloudwatch/pricing/",
  },
  dashboardMonth: {
    usd: 3.0,
    per: 1,
    unit: "CloudWatch dashboard per month (first 3 per account free)",
    source: "https://aws.amazon.com/cloudwatch/pricing/",
  },
} as const satisfies Record<string, Price>;

export type PriceName = keyof typeof PRICES;

/** Dollars for `quantity` units of a price. */
export function costOf(price: Price, quantity: number): number {
  return (price.usd / price.per) * quantity;
}
