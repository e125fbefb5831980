/**
 * One worker (responder or sender) in a process of its own, so a test can SIGKILL it mid-batch:
 * the handler behind the local SQS event source mapping, built as the local stack builds it, from
 * this process's environment (./workerChild.ts starts it with the stack's handler env).
 *
 * Usage: node --import tsx workerProcess.ts <responder|sender> <queueUrl> <directSqsEndpoint>
 */
import { startEventSourceMapping } from "../../../local/eventSourceMapping.js";
import { HANDLER_FACTORIES } from "../../../local/stack.js";
import { localSqsClient } from "../../support/queues.js";

const [worker, queueUrl, sqsEndpoint] = process.argv.slice(2);
if ((worker !== "responder" && worker !== "sender") || !queueUrl || !sqsEndpoint) {
  process.stderr.write("usage: workerProcess.ts <responder|sender> <queueUrl> <sqsEndpoint>\n");
  process.exit(2);
}
startEventSourceMapping({
  queueUrl,
  handler: HANDLER_FACTORIES[worker](process.env),
  sqsClient: localSqsClient(sqsEndpoint),
  functionName: worker,
  batchSize: 10,
  concurrency: 1,
  waitTimeSeconds: 1,
  timeoutMs: Number(process.env.WORKER_TIMEOUT_MS ?? 8000),
  log: (line) => process.stderr.write(`${line}\n`),
});
process.stderr.write("WORKER READY\n");
