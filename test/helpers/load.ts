// Keep-alive load as the API server makes it: N clients, each with one persistent connection,
// each sending the next request as soon as the last is answered. Every request is recorded with
// whether it was ever written to an open TLS connection ("sent"): a connection refused, or reset
// before its handshake finished, never carried the request.
import { Agent, request } from 'node:https';
import type { TLSSocket } from 'node:tls';

export interface LoadRequest {
  readonly id: number;
  readonly client: number;
  /** Whether the request went out on a connection that had completed its TLS handshake. */
  sent: boolean;
  /** Whether that connection had carried an earlier request (keep-alive reuse). */
  reused: boolean;
  status?: number;
  /** The response's Connection header. */
  connection?: string | undefined;
  /** The error code (ECONNRESET, ECONNREFUSED…) or message, when there was no response. */
  error?: string;
  body?: string;
}

export interface LoadOptions {
  readonly port: number;
  readonly ca: Buffer;
  readonly clients: number;
  /** The body of request `id` from client `client`. */
  body(id: number, client: number): unknown;
  readonly path?: string;
}

export interface Load {
  readonly requests: LoadRequest[];
  /** Requests answered so far. */
  answered(): number;
  /** Stops sending; resolves when every client's last request is settled. */
  stop(): Promise<void>;
  /** Resolves when every client has stopped: by stop(), or because the server refused a connection. */
  readonly done: Promise<void>;
}

/** The header that carries a request's id, so the server side can tell which requests reached it. */
export const LOAD_ID_HEADER = 'x-load-id';

function send(options: LoadOptions, agent: Agent, entry: LoadRequest): Promise<void> {
  const payload = JSON.stringify(options.body(entry.id, entry.client));
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        servername: 'localhost',
        port: options.port,
        path: options.path ?? '/validate',
        method: 'POST',
        ca: options.ca,
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), [LOAD_ID_HEADER]: String(entry.id) },
      },
      (res) => {
        entry.status = res.statusCode ?? 0;
        entry.connection = res.headers.connection;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          entry.body = Buffer.concat(chunks).toString('utf8');
          resolve();
        });
        res.on('error', (err: NodeJS.ErrnoException) => {
          entry.error = err.code ?? err.message;
          resolve();
        });
      },
    );
    req.on('socket', (socket) => {
      entry.reused = req.reusedSocket;
      // A new TLS socket holds the request back until its handshake is done.
      if (req.reusedSocket) entry.sent = true;
      else (socket as TLSSocket).once('secureConnect', () => (entry.sent = true));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      entry.error = err.code ?? err.message;
      resolve();
    });
    req.end(payload);
  });
}

export function keepAliveLoad(options: LoadOptions): Load {
  const requests: LoadRequest[] = [];
  let stopped = false;
  let next = 0;
  const agents: Agent[] = [];
  const clients = Array.from({ length: options.clients }, async (_, client) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    while (!stopped) {
      const entry: LoadRequest = { id: next++, client, sent: false, reused: false };
      requests.push(entry);
      await send(options, agent, entry);
      // A refused connection: the server has stopped accepting, this client is done.
      if (entry.error === 'ECONNREFUSED') break;
    }
  });
  const done = Promise.all(clients).then(() => {
    for (const agent of agents) agent.destroy();
  });
  return {
    requests,
    answered: () => requests.filter((r) => r.status !== undefined).length,
    stop: () => {
      stopped = true;
      return done;
    },
    done,
  };
}
