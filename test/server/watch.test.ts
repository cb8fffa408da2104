import { strict as assert } from 'node:assert';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchFiles, type FileSnapshot } from '../../src/server/watch.js';
import { waitFor } from '../helpers/https.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('server/watch: a change is reported only once the files have settled', () => {
  let stops: (() => void)[] = [];
  afterEach(() => {
    for (const stop of stops) stop();
    stops = [];
  });

  function watch(paths: string[], stableMs: number) {
    const seen: string[][] = [];
    stops.push(watchFiles(paths, { intervalMs: 20, stableMs }, (s: FileSnapshot) => seen.push(s.contents.map((c) => c?.toString('utf8') ?? '<missing>'))));
    return seen;
  }

  it('a file written in two halves, the gap shorter than the window, is reported once, whole', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'stagewall-watch-')), 'f');
    writeFileSync(path, 'old');
    // The gap is far below the window, so that a loaded machine's late timers cannot stretch it
    // past the window (the first half would then rightly count as settled).
    const seen = watch([path], 1500);
    writeFileSync(path, 'first half;');
    const written = Date.now();
    await sleep(150);
    appendFileSync(path, 'second half');
    assert.ok(Date.now() - written < 1500, 'the second half came within the window');
    await waitFor(() => seen.length > 0, 5000, 'the change');
    await sleep(200);
    assert.deepEqual(seen, [['first half;second half']]);
  });

  it('a change made after a report is reported in its turn', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'stagewall-watch-')), 'f');
    writeFileSync(path, 'a');
    const seen = watch([path], 100);
    writeFileSync(path, 'b');
    await waitFor(() => seen.length > 0, 5000, 'the change');
    writeFileSync(path, 'c');
    await waitFor(() => seen.length > 1, 5000, 'the second change');
    assert.deepEqual(seen, [['b'], ['c']]);
  });

  it('a change undone within the window is never reported', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'stagewall-watch-')), 'f');
    writeFileSync(path, 'kept');
    const seen = watch([path], 1500);
    writeFileSync(path, 'brief');
    const written = Date.now();
    await sleep(150);
    writeFileSync(path, 'kept');
    assert.ok(Date.now() - written < 1500, 'undone within the window');
    await sleep(2000);
    assert.deepEqual(seen, []);
  });

  it('a pair of files (certificate, then key) is reported once both have settled, together', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stagewall-watch-'));
    const [cert, key] = [join(dir, 'tls.crt'), join(dir, 'tls.key')];
    writeFileSync(cert, 'cert 1');
    writeFileSync(key, 'key 1');
    const seen = watch([cert, key], 1500);
    writeFileSync(cert, 'cert 2');
    const written = Date.now();
    await sleep(150);
    writeFileSync(key, 'key 2');
    assert.ok(Date.now() - written < 1500, 'the key came within the window');
    await waitFor(() => seen.length > 0, 5000, 'the change');
    await sleep(200);
    assert.deepEqual(seen, [['cert 2', 'key 2']]);
  });
});
