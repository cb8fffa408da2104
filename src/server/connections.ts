// The webhook's connections: a connection that never starts a request is cut, and on shutdown the
// server drains without resetting a request that reached it.
//
// Why not server.close() + closeIdleConnections(): Node counts a keep-alive socket as idle until
// it has parsed the first bytes of the next request, so destroying "idle" sockets resets a request
// the client has just sent (ECONNRESET), and closeAllConnections() on a timeout resets every one in
// flight. Instead, once draining, every response says `Connection: close` (the client then stops
// reusing that socket and the server ends it after the answer), and only sockets that have been
// quiet for a while, with nothing in flight and no byte of a new request received, are closed.
import { Server as NetServer } from 'node:net';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';

export interface ConnectionOptions {
  /** A connection that has not sent a byte this long after its TLS handshake is closed. */
  readonly firstByteTimeoutMs: number;
  /** While draining, a socket with nothing in flight that has been quiet this long is closed. */
  readonly drainIdleMs: number;
  /** Called once per completed TLS handshake (a metric: connections accepted). */
  readonly onConnection?: () => void;
}

interface ConnectionState {
  readonly socket: TLSSocket;
  /** Responses not yet finished (more than one only when a client pipelines). */
  readonly open: Set<ServerResponse>;
  /** When the socket last had nothing in flight: the handshake, or the end of the last response. */
  quietSince: number;
  /** socket.bytesRead at that moment: more means a new request has begun to arrive. */
  bytesAtQuiet: number;
}

export interface DrainResult {
  /** Connections still open when the timeout struck, destroyed with whatever they carried. */
  readonly forced: number;
}

export interface ConnectionTracker {
  /** Wraps the app: counts requests per connection and, once draining, asks for Connection: close. */
  listener(app: RequestListener): RequestListener;
  /** From now on every response closes its connection, and quiet sockets are closed as they go quiet. */
  startDraining(): void;
  /**
   * Stops accepting, then waits until every connection has ended: requests in flight are answered,
   * quiet ones closed. After `timeoutMs` whatever is left is destroyed.
   */
  drain(timeoutMs: number): Promise<DrainResult>;
  /** Open connections past the handshake (for logs). */
  readonly size: number;
}

function isQuiet(state: ConnectionState, now: number, quietMs: number): boolean {
  return state.open.size === 0 && state.socket.bytesRead === state.bytesAtQuiet && now - state.quietSince >= quietMs;
}

export function trackConnections(server: HttpsServer, options: ConnectionOptions): ConnectionTracker {
  const connections = new Map<TLSSocket, ConnectionState>();
  let draining = false;
  let sweeper: NodeJS.Timeout | undefined;

  server.on('secureConnection', (socket: TLSSocket) => {
    const state: ConnectionState = { socket, open: new Set(), quietSince: performance.now(), bytesAtQuiet: 0 };
    connections.set(socket, state);
    options.onConnection?.();
    // headersTimeout only runs from a request's first byte; this covers the time before it.
    const firstByte = setTimeout(() => {
      if (socket.bytesRead === 0) socket.destroy();
    }, options.firstByteTimeoutMs);
    firstByte.unref();
    socket.once('close', () => {
      clearTimeout(firstByte);
      connections.delete(socket);
    });
  });

  const sweep = () => {
    const now = performance.now();
    for (const state of connections.values()) if (isQuiet(state, now, options.drainIdleMs)) state.socket.destroy();
  };

  return {
    listener(app) {
      return (req: IncomingMessage, res: ServerResponse) => {
        const state = connections.get(req.socket as TLSSocket);
        if (state) {
          state.open.add(res);
          res.once('close', () => {
            state.open.delete(res);
            if (state.open.size === 0) {
              state.quietSince = performance.now();
              state.bytesAtQuiet = state.socket.bytesRead;
            }
          });
        }
        if (draining) res.setHeader('Connection', 'close');
        app(req, res);
      };
    },
    startDraining() {
      if (draining) return;
      draining = true;
      // Requests in flight whose answer has not started yet close their connection too.
      for (const state of connections.values()) for (const res of state.open) if (!res.headersSent) res.setHeader('Connection', 'close');
      sweep();
      sweeper = setInterval(sweep, Math.max(10, Math.min(250, options.drainIdleMs / 4)));
      sweeper.unref();
    },
    drain(timeoutMs) {
      this.startDraining();
      return new Promise<DrainResult>((resolve) => {
        let settled = false;
        const finish = (forced: number) => {
          if (settled) return;
          settled = true;
          clearTimeout(force);
          clearInterval(sweeper);
          // The HTTP layer's close: stops its timeout checks (the listener is already closed).
          server.close(() => undefined);
          resolve({ forced });
        };
        const force = setTimeout(() => {
          const left = connections.size;
          for (const state of connections.values()) state.socket.destroy();
          finish(left);
        }, timeoutMs);
        force.unref();
        // net's close, not http's: http's would destroy every socket it deems idle at once,
        // including one whose request is on its way. Its callback runs once every connection,
        // even one still in its TLS handshake, has ended.
        NetServer.prototype.close.call(server, () => finish(0));
      });
    },
    get size() {
      return connections.size;
    },
  };
}
