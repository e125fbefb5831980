import type { Server as HttpServer } from "node:http";
import { createServer } from "node:net";

/** Asks the OS for a free loopback port (for servers that cannot listen on port 0 themselves). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts an HTTP server on 127.0.0.1 (port 0: any free one) and returns its endpoint and a close
 * that drops open keep-alive connections first (the stand-ins' SDK clients keep them).
 */
export async function listenOnLoopback(
  server: HttpServer,
  port = 0,
): Promise<{ endpoint: string; close(): Promise<void> }> {
  // A port already taken rejects (EADDRINUSE) instead of leaving the caller waiting.
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const bound = typeof address === "object" && address ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
