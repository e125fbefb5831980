import { fileURLToPath } from "node:url";

/** esbuild `alias` map that swaps the receiver's @aws-sdk/* imports for the fetch prototype. */
export const AWS_FETCH_ALIASES: Record<string, string> = {
  "@aws-sdk/client-dynamodb": fileURLToPath(new URL("./clientDynamodb.ts", import.meta.url)),
  "@aws-sdk/lib-dynamodb": fileURLToPath(new URL("./libDynamodb.ts", import.meta.url)),
  "@aws-sdk/client-sqs": fileURLToPath(new URL("./clientSqs.ts", import.meta.url)),
  "@aws-sdk/client-secrets-manager": fileURLToPath(
    new URL("./clientSecretsManager.ts", import.meta.url),
  ),
};
