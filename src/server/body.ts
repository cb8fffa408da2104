// The hot path's I/O: read a JSON body once, answer with one write. express.json() and res.json()
// cost more than the whole engine at thousands of admissions a second (bench/README numbers).
import type { IncomingMessage, ServerResponse } from 'node:http';

export type BodyErrorType = 'entity.too.large' | 'entity.parse.failed' | 'request.aborted' | 'server.busy';

export class BodyError extends Error {
  constructor(
    readonly type: BodyErrorType,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The bytes of request bodies held at once, over all requests. One body is bounded by its own
 * limit; this bounds them together, so that many clients sending large bodies at the same time
 * cannot exhaust the heap: a request that would go beyond it is answered 503 at once.
 */
export class BodyBudget {
  private used = 0;
  constructor(readonly limit: number) {}
  /** Reserves `bytes`; false (and nothing reserved) when that would go beyond the limit. */
  take(bytes: number): boolean {
    if (this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }
  give(bytes: number): void {
    this.used -= bytes;
  }
  /** Bytes held now. */
  get inUse(): number {
    return this.used;
  }
}

/**
 * Reads and parses a JSON body of at most `limit` bytes, holding its bytes against `budget` while
 * they are buffered; calls back exactly once.
 */
export function readJsonBody(
  req: IncomingMessage,
  res: ServerResponse,
  limit: number,
  budget: BodyBudget,
  callback: (err: BodyError | undefined, body?: unknown) => void,
): void {
  let done = false;
  let held = 0;
  const release = () => {
    budget.give(held);
    held = 0;
  };
  const finish = (err: BodyError | undefined, body?: unknown) => {
    if (done) return;
    done = true;
    release();
    callback(err, body);
  };
  // The size is checked as the body streams in (reading req.headers would build the whole header
  // object on the hot path, and Content-Length may be absent or wrong anyway).
  const tooLarge = (message: string) => {
    // Stop here: answer, discard the rest, and close the connection afterwards.
    res.setHeader('Connection', 'close');
    req.resume();
    finish(new BodyError('entity.too.large', message));
  };
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    if (done) return;
    size += chunk.length;
    if (size > limit) {
      tooLarge(`the body is larger than the limit of ${limit} bytes`);
    } else if (!budget.take(chunk.length)) {
      res.setHeader('Connection', 'close');
      res.setHeader('Retry-After', '1');
      req.resume();
      finish(new BodyError('server.busy', `the server holds ${budget.limit} bytes of request bodies already; retry`));
    } else {
      held += chunk.length;
      chunks.push(chunk);
    }
  });
  req.on('end', () => {
    if (done) return;
    const text = chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks, size).toString('utf8');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      finish(new BodyError('entity.parse.failed', `the body is not valid JSON: ${(err as Error).message}`));
      return;
    }
    finish(undefined, body);
  });
  // `done` is checked before the BodyError is built: 'close' follows every request, also the ones
  // answered already, and an Error's stack trace cost about 6 µs per admission (bench --profile).
  req.on('error', (err) => {
    if (!done) finish(new BodyError('request.aborted', err.message));
  });
  // Node reports a client gone mid-body as an 'error'; 'close' gives the bytes back on any other end.
  req.on('close', () => {
    if (!done) finish(new BodyError('request.aborted', 'the client closed the request before its body ended'));
  });
}

/** Serialises once and writes headers and body together. */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
