import { ListOpenIDConnectProvidersCommand } from "@aws-sdk/client-iam";
import { HeadBucketCommand } from "@aws-sdk/client-s3";
import { GetServiceQuotaCommand } from "@aws-sdk/client-service-quotas";
import { LAMBDA_CONCURRENCY_QUOTA } from "../infra/awsLimits.js";

/**
 * What the preflight asks AWS, read-only: the account's Lambda concurrency quota (Service Quotas
 * GetServiceQuota), whether the Pulumi state bucket answers (S3 HeadBucket), and whether the
 * account trusts GitHub's OIDC issuer (IAM ListOpenIDConnectProviders). Each client is anything
 * with the SDK's `send`, so tests hand in fakes and no call reaches AWS.
 */

/** The one method of an SDK v3 client the preflight uses. */
export interface Sender {
  // biome-ignore lint/suspicious/noExplicitAny: each SDK client types `send` per command; the checks read only documented output fields.
  send(command: any): Promise<any>;
}

export interface PreflightClients {
  serviceQuotas: Sender;
  s3: Sender;
  iam: Sender;
}

/** GitHub Actions' OIDC issuer, the provider infra/bootstrap creates (or finds). */
export const GITHUB_OIDC_HOST = "token.actions.githubusercontent.com";

/** The account's "Concurrent executions" quota in the region (a number of executions). */
export async function lambdaConcurrencyQuota(client: Sender): Promise<number> {
  const answer = await client.send(
    new GetServiceQuotaCommand({
      ServiceCode: LAMBDA_CONCURRENCY_QUOTA.serviceCode,
      QuotaCode: LAMBDA_CONCURRENCY_QUOTA.quotaCode,
    }),
  );
  const value = answer?.Quota?.Value;
  if (typeof value !== "number") throw new Error("Service Quotas answered without a value");
  return value;
}

/** True when the bucket exists and these credentials may use it; false when it does not exist. */
export async function bucketAnswers(client: Sender, bucket: string): Promise<boolean> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
    return true;
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === "NotFound" || name === "NoSuchBucket") return false;
    throw error;
  }
}

/** The ARN of the account's GitHub OIDC provider, if it has one. */
export async function githubOidcProvider(client: Sender): Promise<string | undefined> {
  const answer = await client.send(new ListOpenIDConnectProvidersCommand({}));
  const list = (answer?.OpenIDConnectProviderList ?? []) as { Arn?: string }[];
  return list.map((p) => p.Arn).find((arn) => arn?.endsWith(`oidc-provider/${GITHUB_OIDC_HOST}`));
}

/** Real SDK clients for a region (the ambient credentials). */
export async function realPreflightClients(
  region: string,
): Promise<PreflightClients & { destroy(): void }> {
  const [{ ServiceQuotasClient }, { S3Client }, { IAMClient }] = await Promise.all([
    import("@aws-sdk/client-service-quotas"),
    import("@aws-sdk/client-s3"),
    import("@aws-sdk/client-iam"),
  ]);
  const serviceQuotas = new ServiceQuotasClient({ region });
  const s3 = new S3Client({ region, followRegionRedirects: true });
  const iam = new IAMClient({ region });
  return {
    serviceQuotas,
    s3,
    iam,
    destroy() {
      serviceQuotas.destroy();
      s3.destroy();
      iam.destroy();
    },
  };
}
