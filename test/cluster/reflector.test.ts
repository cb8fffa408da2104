import { strict as assert } from 'node:assert';
import { Reflector, type WatchFn } from '../../src/cluster/reflector.js';
import { silentLogger } from '../../src/server/log.js';
import { waitFor } from '../helpers/https.js';

interface Obj {
  metadata: { name: string; resourceVersion?: string };
}

/** A scripted API server: each list returns the current items; watches are driven by the test. */
function fakeServer() {
  let items: Obj[] = [];
  let rv = 1;
  let listFailures = 0;
  const watches: { rv: string; event: (t: string, o: unknown) => void; done: (e: unknown) => void }[] = [];
  const list = async () => {
    if (listFailures > 0) {
      listFailures -= 1;
      throw new Error('connect ECONNREFUSED');
    }
    return { items: structuredClone(items), metadata: { resourceVersion: String(rv) } };
  };
  const watch: WatchFn = async (resourceVersion, event, done) => {
    watches.push({ rv: resourceVersion, event, done });
    return { abort: () => undefined };
  };
  return {
    list,
    watch,
    watches,
    set(next: Obj[]) {
      items = next;
      rv += 1;
    },
    failLists(n: number) {
      listFailures = n;
    },
  };
}

function reflectorOn(server: ReturnType<typeof fakeServer>) {
  const state = new Map<string, Obj>();
  const reflector = new Reflector<Obj>({
    name: 'test',
    list: server.list,
    watch: server.watch,
    logger: silentLogger(),
    initialBackoffMs: 5,
    onReplace: (items) => {
      state.clear();
      for (const i of items) state.set(i.metadata.name, i);
    },
    onEvent: (type, o) => {
      if (type === 'DELETED') state.delete(o.metadata.name);
      else state.set(o.metadata.name, o);
    },
  });
  return { reflector, state };
}

describe('cluster/reflector: list, watch, relist', () => {
  it('lists, reports synced, then watches from the list resourceVersion', async () => {
    const server = fakeServer();
    server.set([{ metadata: { name: 'a' } }]);
    const { reflector, state } = reflectorOn(server);
    await reflector.start();
    assert.ok(reflector.isSynced());
    assert.deepEqual([...state.keys()], ['a']);
    await waitFor(() => server.watches.length === 1);
    assert.equal(server.watches[0]?.rv, '2');
    server.watches[0]?.event('ADDED', { metadata: { name: 'b', resourceVersion: '3' } });
    server.watches[0]?.event('DELETED', { metadata: { name: 'a', resourceVersion: '4' } });
    assert.deepEqual([...state.keys()], ['b']);
    reflector.stop();
  });

  it('re-watches from the last seen resourceVersion when a watch ends cleanly', async () => {
    const server = fakeServer();
    const { reflector } = reflectorOn(server);
    await reflector.start();
    await waitFor(() => server.watches.length === 1);
    server.watches[0]?.event('MODIFIED', { metadata: { name: 'x', resourceVersion: '42' } });
    server.watches[0]?.done(null);
    await waitFor(() => server.watches.length === 2);
    assert.equal(server.watches[1]?.rv, '42');
    assert.equal(reflector.lists, 1, 'no relist');
    reflector.stop();
  });

  it('relists on 410 Gone (an ERROR event), replacing the state', async () => {
    const server = fakeServer();
    server.set([{ metadata: { name: 'a' } }]);
    const { reflector, state } = reflectorOn(server);
    await reflector.start();
    await waitFor(() => server.watches.length === 1);
    server.set([{ metadata: { name: 'c' } }]); // 'a' was deleted while we were not watching
    server.watches[0]?.event('ERROR', { kind: 'Status', code: 410, reason: 'Expired' });
    server.watches[0]?.done(null);
    await waitFor(() => reflector.lists === 2);
    assert.deepEqual([...state.keys()], ['c']);
    reflector.stop();
  });

  it('relists after a watch error, with backoff, surviving failed lists (API server restart)', async () => {
    const server = fakeServer();
    const { reflector, state } = reflectorOn(server);
    await reflector.start();
    await waitFor(() => server.watches.length === 1);
    server.failLists(3);
    server.set([{ metadata: { name: 'after-restart' } }]);
    server.watches[0]?.done(new Error('socket hang up'));
    await waitFor(() => reflector.lists === 2, 5000, 'the relist');
    assert.deepEqual([...state.keys()], ['after-restart']);
    reflector.stop();
  });
});

describe('cluster/reflector: error events', () => {
  it('a non-410 ERROR event ends the watch as a failure: relist after backoff, not an instant re-watch', async () => {
    const server = fakeServer();
    const { reflector } = reflectorOn(server);
    await reflector.start();
    await waitFor(() => server.watches.length === 1);
    server.watches[0]?.event('ERROR', { kind: 'Status', code: 500, reason: 'InternalError' });
    server.watches[0]?.done(null);
    await waitFor(() => reflector.lists === 2, 5000, 'the relist');
    reflector.stop();
  });
});
