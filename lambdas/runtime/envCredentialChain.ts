import { fromEnv } from "@aws-sdk/credential-provider-env";

/**
 * Bundle-time stand-in for `@aws-sdk/credential-provider-node` (infra/lambdaBundle.ts aliases it
 * here). Every SDK client's runtime config imports that package's `defaultProvider` statically,
 * so even clients given `credentials` (lambdas/adapters/awsClients.ts) would carry the whole
 * default chain (ini files, SSO, web identity, IMDS, …) in the bundle. On Lambda the execution
 * role's credentials are always in the environment, so the chain is the environment provider.
 */
export const defaultProvider = (_init?: unknown) => fromEnv();
