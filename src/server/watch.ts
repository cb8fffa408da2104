// Polling file watcher: compares content hashes, so it sees ConfigMap and Secret updates (which
// swap symlinks) as reliably as in-place edits, on every filesystem.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

function fingerprint(paths: readonly string[]): string {
  const hash = createHash('sha256');
  for (const path of paths) {
    try {
      hash.update(readFileSync(path));
    } catch {
      hash.update(`missing:${path}`);
    }
    hash.update('\u0000');
  }
  return hash.digest('hex');
}

/** Calls `onChange` when the contents of any path change; returns a function that stops watching. */
export function watchFiles(paths: readonly string[], intervalMs: number, onChange: () => void): () => void {
  let last = fingerprint(paths);
  const timer = setInterval(() => {
    const now = fingerprint(paths);
    if (now === last) return;
    last = now;
    onChange();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
