/**
 * AWS list prices (us-east-1, no free tier) used by the cost model, as cited in
 * /work/shared/research/pipeline.md §7. Third-party pages can lag AWS's own pricing pages;
 * check before budgeting.
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
    source: "https://cloud-horizons.com/blog/api-gateway-rest-vs-http-the-71-percent-discount/",
  },
  lambdaRequest: {
    usd: 0.2,
    per: 1e6,
    unit: "Lambda request",
    source: "https://notes.kodekloud.com/docs/AWS-Lambda/Understanding-Lambda/Pricing",
  },
  lambdaGbSecondArm64: {
    usd: 0.0000133334,
    per: 1,
    unit: "Lambda GB-second, arm64 (billed per 1 ms; INIT billed since 2025-08-01)",
    source:
      "https://git.mcrn.ar/mariano/lambda_local_runner/src/branch/main/docs/lambdas-md/lambda-13-cost.md",
  },
  sqsRequest: {
    usd: 0.4,
    per: 1e6,
    unit: "SQS standard request (each 64 KB chunk is one request; empty receives billed)",
    source: "https://www.factualminds.com/blog/amazon-sqs-pricing-64kb-rule-fifo-vs-standard/",
  },
  dynamoDbWru: {
    usd: 0.625,
    per: 1e6,
    unit: "DynamoDB on-demand write request unit (1 KB)",
    source: "https://airbyte.com/data-engineering-resources/dynamodb-pricing",
  },
  dynamoDbRru: {
    usd: 0.125,
    per: 1e6,
    unit: "DynamoDB on-demand read request unit (4 KB strongly consistent)",
    source: "https://airbyte.com/data-engineering-resources/dynamodb-pricing",
  },
  secretsManagerCall: {
    usd: 0.05,
    per: 1e4,
    unit: "Secrets Manager API call (+ $0.40 per secret-month, fixed)",
    source:
      "https://hivebook.wiki/wiki/aws-secrets-manager-rotated-secrets-dynamic-db-credentials-kms",
  },
  logsGbIngested: {
    usd: 0.5,
    per: 1e9,
    unit: "CloudWatch Logs byte ingested, Standard class ($0.50/GB)",
    source: "https://c3x.dev/blog/cloudwatch-logs-cost-optimization",
  },
} as const satisfies Record<string, Price>;

export type PriceName = keyof typeof PRICES;

/** Dollars for `quantity` units of a price. */
export function costOf(price: Price, quantity: number): number {
  return (price.usd / price.per) * quantity;
}
