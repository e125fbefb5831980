import {
  createResponderHandler,
  readResponderConfig,
  responderDeps,
} from "../functions/responder.js";

// The Lambda entry point. Cold start: config, clients and adapters once per execution environment.
export const handler = createResponderHandler(responderDeps(readResponderConfig(process.env)));
