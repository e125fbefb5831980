import { fromEnv } from "@aws-sdk/credential-provider-env";

/**
 * Stand-in for `@aws-sdk/credential-provider-node` (esbuild alias, bundle-size prototype): on
 * Lambda the role's credentials are always in the environment, so the rest of the default chain
 * is dead weight in the bundle.
 */
export const defaultProvider = (_init?: unknown) => fromEnv();
