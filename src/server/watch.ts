// Polling file watcher: compares content hashes, so it sees ConfigMap and Secret updates (which
// swap symlinks) as reliably as in-place edits, on every filesystem. A change is reported only
// once the content has stayed the same across reads `stableMs` apart, so a file written in two
// steps (an editor, a non-atomic copy, a certificate before its key) is never taken half.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The default stability window: a change must be seen unchanged this long before it applies. */
export const DEFAULT_STABLE_MS = 2000;

/** The contents of the watched paths as read together; `undefined` for a path that cannot be read. */
export interface FileSnapshot {
  readonly contents: readonly (Buffer | undefined)[];
  readonly hash: string;
}

export function readFiles(paths: readonly string[]): FileSnapshot {
  const hash = createHash('sha256');
  const contents = paths.map((path) => {
    let content: Buffer | undefined;
    try {
      content = readFileSync(path);
      hash.update(content);
    } catch {
      hash.update(`missing:${path}`);
    }
    hash.update('\u0000');
    return content;
  });
  return { contents, hash: hash.digest('hex') };
}

export interface WatchOptions {
  /** How often the files are read. */
  readonly intervalMs: number;
  /** How long new content must stay the same before it is reported (default DEFAULT_STABLE_MS). */
  readonly stableMs?: number | undefined;
  /** What is in force now; read at the start when not given. */
  readonly initial?: FileSnapshot | undefined;
}

/**
 * Calls `onChange` with the new contents once they differ from what was last reported and have
 * been read unchanged at least `stableMs` apart; returns a function that stops watching. The
 * snapshot passed is the one whose hash was checked, so the caller never reads a newer, unsettled
 * file by itself.
 */
export function watchFiles(paths: readonly string[], options: WatchOptions, onChange: (snapshot: FileSnapshot) => void): () => void {
  const stableMs = options.stableMs ?? DEFAULT_STABLE_MS;
  let current = (options.initial ?? readFiles(paths)).hash;
  let candidate: { hash: string; since: number } | undefined;
  const timer = setInterval(() => {
    const seen = readFiles(paths);
    const now = performance.now();
    if (seen.hash === current) {
      candidate = undefined; // changed and changed back: nothing to do
      return;
    }
    if (candidate?.hash !== seen.hash) {
      candidate = { hash: seen.hash, since: now };
      return;
    }
    if (now - candidate.since < stableMs) return;
    current = seen.hash;
    candidate = undefined;
    onChange(seen);
  }, options.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
