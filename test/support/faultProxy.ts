import { createServer, type Server, Socket } from "node:net";

/**
 * A loopback TCP proxy in front of a real service (DynamoDB Local, fauxqs, the vendor
 * simulator), for fault-injection tests: while it is "up" bytes pass through untouched; switched
 * "down" the service becomes unreachable the way a real outage looks to a client, through the
 * network, not through a mock:
 *
 * - `refuse`: nothing listens on the port any more, so connects fail with ECONNREFUSED;
 * - `reset`: connections are accepted and immediately reset (ECONNRESET);
 * - `hang`: connections are accepted and never answered (the client's timeout fires).
 *
 * Every switch resets the connections already open, so clients with keep-alive pools (the AWS
 * SDK, fetch) cannot slip through a fault on an old socket. Hand-written: the few npm TCP
 * proxies either lack switchable faults or pull in a test server of their own.
 */

type FaultMode = "up" | "refuse" | "reset" | "hang";

export interface FaultProxy {
  /** http://127.0.0.1:<port>: use it in place of the target's endpoint. */
  readonly url: string;
  readonly port: number;
  mode(): FaultMode;
  /** Switches the fault; resolves once the new mode is in force. */
  setMode(mode: FaultMode): Promise<void>;
  /** Connections accepted (whatever the mode) since the start. */
  connections(): number;
  /**
   * Calls `listener` for each connection accepted from now on (with the mode it meets), e.g. to
   * fail a second service at the moment a first one is contacted. Returns an unsubscribe.
   */
  onConnection(listener: (mode: FaultMode) => void): () => void;
  stop(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 (any free port) forwarding to `target` (e.g. "http://127.0.0.1:8000"). */
export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const { hostname, port: targetPort } = new URL(target);
  const targetHost = hostname === "localhost" ? "127.0.0.1" : hostname;
  const open = new Set<Socket>();
  let current: FaultMode = "up";
  let accepted = 0;
  const listeners = new Set<(mode: FaultMode) => void>();

  const track = (socket: Socket) => {
    open.add(socket);
    socket.once("close", () => open.delete(socket));
  };

  const onConnection = (client: Socket) => {
    accepted += 1;
    for (const listener of listeners) listener(current);
    track(client);
    client.on("error", () => undefined);
    if (current === "reset") {
      client.resetAndDestroy();
      return;
    }
    if (current === "hang") return; // accepted, never answered, never forwarded
    const upstream = new Socket();
    track(upstream);
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
    upstream.connect(Number(targetPort), targetHost, () => {
      client.pipe(upstream);
      upstream.pipe(client);
    });
    client.once("close", () => upstream.destroy());
    upstream.once("close", () => client.destroy());
  };

  let server: Server = createServer(onConnection);
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        const address = server.address();
        resolve(typeof address === "object" && address ? address.port : port);
      });
    });
  const close = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
    });
  const resetOpen = () => {
    for (const socket of open) socket.resetAndDestroy();
    open.clear();
  };

  const port = await listen(0);

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    mode: () => current,
    async setMode(mode) {
      if (mode === current) return;
      const previous = current;
      current = mode;
      // Every switch ends the connections of the previous mode (hung ones included).
      resetOpen();
      if (mode === "refuse") {
        await close();
      } else if (previous === "refuse") {
        // Listen again on the same port: the clients were configured with this endpoint.
        server = createServer(onConnection);
        await listen(port);
      }
    },
    connections: () => accepted,
    onConnection(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async stop() {
      resetOpen();
      await close();
    },
  };
}
