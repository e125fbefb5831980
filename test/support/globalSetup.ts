import type { TestProject } from "vitest/node";
import { startLocalServices } from "../../local/services/index.js";

/** Starts the local AWS stand-ins once per test run; test files reach them via inject("awsEnv"). */
export default async function setup(project: TestProject) {
  const services = await startLocalServices();
  project.provide("awsEnv", services.awsEnv);
  project.provide("secretsManagerEndpoint", services.secretsManager.endpoint);
  return async () => {
    await services.stop();
  };
}

declare module "vitest" {
  export interface ProvidedContext {
    awsEnv: Record<string, string>;
    secretsManagerEndpoint: string;
  }
}
