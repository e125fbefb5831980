/**
 * The dynamic provider as the Pulumi engine runs it, in a fresh `node` (plain ES module, no tsx,
 * nothing of the repository loaded): the serialised provider text is loaded the way Pulumi's
 * dynamic provider host does it (@pulumi/pulumi/cmd/dynamic-provider: require-from-string, then
 * `.handler()`, then `configure` with the host's Config class over the stack config), and each
 * request from the parent runs the engine's sequence of provider calls for `pulumi up`,
 * `pulumi refresh` or `pulumi destroy` of one named resource, keeping that resource's state
 * (id, outputs, inputs) between requests as the engine's checkpoint does.
 *
 *   node engineHost.mjs <file with the serialised text>     (IPC: { op, name, inputs? } → result)
 *
 * The engine itself (gRPC, plugins) cannot run here; what this reproduces is what the provider
 * sees: its code rebuilt from text, config handed over by the host, olds from state, `__provider`
 * in every property bag.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const requireFromString = require("require-from-string");
const { Config } = require("@pulumi/pulumi/cmd/dynamic-provider/config.js");

const PROVIDER_KEY = "__provider";
const PROJECT = "whatsable-replies";
const text = readFileSync(process.argv[2], "utf8");
/** Per resource name: { id, outputs, inputs }. */
const states = new Map();
let rawConfig = {};
let provider;

/** As the host's getProvider: deserialise once per process, then configure. */
async function getProvider() {
  if (!provider) {
    provider = requireFromString(text).handler();
    if (provider.configure) await provider.configure({ config: new Config(rawConfig, PROJECT) });
  }
  return provider;
}

const withProvider = (bag) => ({ ...(bag ?? {}), [PROVIDER_KEY]: text });

async function check(olds, news) {
  const p = await getProvider();
  const result = await p.check(olds, news);
  if (result.failures?.length) {
    const reasons = result.failures.map((f) => `${f.property}: ${f.reason}`).join("; ");
    throw new Error(`check failed: ${reasons}`);
  }
  return withProvider(result.inputs);
}

async function create(name, inputs, calls) {
  calls.push("create");
  const result = await (await getProvider()).create(inputs);
  states.set(name, { id: result.id, outputs: withProvider(result.outs), inputs });
}

async function up(name, programInputs) {
  const news = withProvider(programInputs);
  const calls = ["check"];
  const state = states.get(name);
  if (!state) {
    await create(name, await check({}, news), calls);
    return { plan: "create", calls };
  }
  const inputs = await check(state.inputs, news);
  calls.push("diff");
  const diff = await (await getProvider()).diff(state.id, state.outputs, inputs);
  if (diff.replaces?.length) {
    if (diff.deleteBeforeReplace) {
      calls.push("delete");
      await (await getProvider()).delete(state.id, state.outputs);
      states.delete(name);
      await create(name, inputs, calls);
    } else {
      await create(name, inputs, calls);
      calls.push("delete");
      await (await getProvider()).delete(state.id, state.outputs);
    }
    return { plan: "replace", calls, diff };
  }
  if (diff.changes) {
    calls.push("update");
    const result = await (await getProvider()).update(state.id, state.outputs, inputs);
    states.set(name, { id: state.id, outputs: withProvider(result.outs), inputs });
    return { plan: "update", calls, diff };
  }
  states.set(name, { ...state, inputs });
  return { plan: "same", calls, diff };
}

async function refresh(name) {
  const state = states.get(name);
  if (!state) throw new Error(`no state for ${name}`);
  const result = await (await getProvider()).read(state.id, state.outputs);
  if (!result.id) {
    states.delete(name);
    return { gone: true };
  }
  states.set(name, {
    id: result.id,
    outputs: withProvider(result.props),
    inputs: result.inputs ? withProvider(result.inputs) : state.inputs,
  });
  return { gone: false };
}

async function destroy(name) {
  const state = states.get(name);
  if (!state) return {};
  await (await getProvider()).delete(state.id, state.outputs);
  states.delete(name);
  return {};
}

/** The state as a test may look at it (without the provider text). */
function stateOf(name) {
  const state = states.get(name);
  if (!state) return null;
  const strip = ({ [PROVIDER_KEY]: _text, ...rest }) => rest;
  return { id: state.id, outputs: strip(state.outputs), inputs: strip(state.inputs) };
}

async function handle(message) {
  switch (message.op) {
    case "configure":
      rawConfig = message.config;
      return {};
    case "up":
      return up(message.name, message.inputs);
    case "refresh":
      return refresh(message.name);
    case "destroy":
      return destroy(message.name);
    default:
      throw new Error(`unknown op ${message.op}`);
  }
}

process.on("message", (message) => {
  handle(message).then(
    (result) => process.send({ seq: message.seq, ok: true, result, state: stateOf(message.name) }),
    (error) =>
      process.send({
        seq: message.seq,
        ok: false,
        error: error instanceof Error ? error.message : String(error),
        state: stateOf(message.name),
      }),
  );
});
process.on("disconnect", () => process.exit(0));
process.send({ ready: true });
