import { type Credentials, signedHeaders } from "./sigv4.js";

/**
 * One AWS JSON-protocol call over fetch: endpoint from AWS_ENDPOINT_URL_<SERVICE> (as the SDK
 * reads it) or the public regional endpoint; credentials from the environment (Lambda's role);
 * up to 3 attempts on throttling, 5xx and network errors. Errors carry the service's `__type`
 * as their name and the response's other fields (e.g. Item on ConditionalCheckFailedException).
 */

export interface JsonService {
  /** Signing name, e.g. "dynamodb". */
  signingName: string;
  /** Endpoint host prefix, e.g. "dynamodb" → dynamodb.<region>.amazonaws.com. */
  endpointPrefix: string;
  /** AWS_ENDPOINT_URL_<suffix>. */
  endpointEnv: string;
  /** e.g. "DynamoDB_20120810" */
  targetPrefix: string;
  /** "1.0" or "1.1" */
  jsonVersion: string;
}

const RETRYABLE =
  /Throttl|ProvisionedThroughputExceeded|RequestLimitExceeded|InternalServerError|ServiceUnavailable/;

function credentials(): Credentials {
  const accessKeyId = process.env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey)
    throw new Error("AWS credentials missing from the environment");
  const sessionToken = process.env.AWS_SESSION_TOKEN;
  return sessionToken
    ? { accessKeyId, secretAccessKey, sessionToken }
    : { accessKeyId, secretAccessKey };
}

export class AwsServiceError extends Error {
  [field: string]: unknown;
}

export async function callJson(
  service: JsonService,
  operation: string,
  input: unknown,
): Promise<Record<string, unknown>> {
  const region = process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1";
  const endpoint =
    process.env[`AWS_ENDPOINT_URL_${service.endpointEnv}`] ??
    process.env.AWS_ENDPOINT_URL ??
    `https://${service.endpointPrefix}.${region}.amazonaws.com`;
  const url = new URL("/", endpoint);
  const body = JSON.stringify(input);
  for (let attempt = 1; ; attempt++) {
    const headers = signedHeaders({
      url,
      headers: {
        "content-type": `application/x-amz-json-${service.jsonVersion}`,
        "x-amz-target": `${service.targetPrefix}.${operation}`,
      },
      body,
      service: service.signingName,
      region,
      credentials: credentials(),
      now: new Date(),
    });
    let response: Response;
    try {
      response = await fetch(url, { method: "POST", headers, body });
    } catch (error) {
      if (attempt < 3) {
        await backoff(attempt);
        continue;
      }
      throw error;
    }
    const text = await response.text();
    const parsed = (text ? JSON.parse(text) : {}) as Record<string, unknown>;
    if (response.ok) return parsed;
    const type = String(parsed.__type ?? parsed.code ?? `HTTP${response.status}`);
    const name = type.split("#").pop() ?? type;
    if ((response.status >= 500 || RETRYABLE.test(name)) && attempt < 3) {
      await backoff(attempt);
      continue;
    }
    const error = new AwsServiceError(String(parsed.message ?? parsed.Message ?? name));
    error.name = name;
    for (const [key, value] of Object.entries(parsed)) {
      if (key !== "__type" && key !== "message" && key !== "Message") error[key] = value;
    }
    error.$metadata = { httpStatusCode: response.status, attempts: attempt };
    throw error;
  }
}

function backoff(attempt: number): Promise<void> {
  const ms = Math.random() * 50 * 2 ** attempt;
  return new Promise((resolve) => setTimeout(resolve, ms));
}
