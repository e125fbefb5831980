import { createReceiverHandler, readReceiverConfig, receiverDeps } from "../functions/receiver.js";

// The Lambda entry point. Cold start: config, clients and adapters once per execution environment.
export const handler = createReceiverHandler(receiverDeps(readReceiverConfig(process.env)));
