/**
 * One worker (responder or sender) in a process of its own, so a test can SIGKILL it mid-batch:
 * the handler module behind the local SQS event source mapping, exactly as the local stack runs
 * it. Started by ./workerChild.ts with the handler env in process.env.
 *
 * Usage: node --import tsx workerProcess.ts <responder|sender> <queueUrl> <directSqsEndpoint>
 */
import { startEventSourceMapping } from "../../../local/eventSourceMapping.js";
import { localSqsClient } from "./queues.js";

const [worker, queueUrl, sqsEndpoint] = process.argv.slice(2);
if ((worker !== "responder" && worker !== "sender") || !queueUrl || !sqsEndpoint) {
  process.stderr.write("usage: workerProcess.ts <responder|sender> <queueUrl> <sqsEndpoint>\n");
  process.exit(2);
}
const { handler } = (await import(`../../../lambdas/handlers/${worker}.js`)) as {
  handler: Parameters<typeof startEventSourceMapping>[0]["handler"];
};
startEventSourceMapping({
  queueUrl,
  handler,
  sqsClient: localSqsClient(sqsEndpoint),
  functionName: worker,
  batchSize: 10,
  concurrency: 1,
  waitTimeSeconds: 1,
  timeoutMs: Number(process.env.WORKER_TIMEOUT_MS ?? 8000),
  log: (line) => process.stderr.write(`${line}\n`),
});
process.stderr.write("WORKER READY\n");
