import { createSenderHandler, readSenderConfig, senderDeps } from "../functions/sender.js";

// The Lambda entry point. Cold start: config, clients and adapters once per execution environment.
export const handler = createSenderHandler(senderDeps(readSenderConfig(process.env)));
