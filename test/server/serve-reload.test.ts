import { strict as assert } from 'node:assert';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StagewallConfig } from '../../src/config/model.js';
import type { RunningServer } from '../../src/server/serve.js';
import { postJson, waitFor } from '../helpers/https.js';
import { admissionReview, pod } from '../helpers/review.js';
import { makeStagewallCerts, startTestServer } from '../helpers/server.js';

const EXAMPLE = readFileSync('examples/stagewall.yaml', 'utf8');
const AUDIT = EXAMPLE.replace('mode: enforce', 'mode: audit');
/** Appended to the example, a second pipeline: the example alone is a valid first half of this file. */
const SECOND_PIPELINE = `  - name: reports
    stages:
      - name: render
        namespace: reports-render
`;

/** Samples the config in force every few milliseconds until stopped. */
function sampleConfig(server: RunningServer) {
  const seen: StagewallConfig[] = [];
  const sample = () => {
    const c = server.config();
    if (seen[seen.length - 1] !== c) seen.push(c);
  };
  const timer = setInterval(sample, 5);
  sample();
  return {
    seen,
    stop: () => {
      clearInterval(timer);
      sample();
    },
  };
}

/** A ConfigMap volume as the kubelet writes it: the file is a link into `..data`, swapped atomically. */
function configMapVolume(content: string) {
  const dir = mkdtempSync(join(tmpdir(), 'stagewall-configmap-'));
  let version = 0;
  const publish = (text: string) => {
    version += 1;
    const data = join(dir, `..2026_12_01_00_00_0${version}.000000001`);
    mkdirSync(data);
    writeFileSync(join(data, 'stagewall.yaml'), text);
    symlinkSync(data, join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
  };
  publish(content);
  symlinkSync(join('..data', 'stagewall.yaml'), join(dir, 'stagewall.yaml'));
  return { path: join(dir, 'stagewall.yaml'), publish };
}

describe('server/serve: a config reload never applies a half-written file', function () {
  this.timeout(30_000);
  let server: RunningServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('with the default window: a config written in two halves 1 s apart never has its first half in force, however often it is read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stagewall-halves-'));
    const path = join(dir, 'stagewall.yaml');
    writeFileSync(path, AUDIT);
    // The default 2 s window, and reads far more often than the default 1 s, so that one lands between the halves.
    const started = await startTestServer({ configPath: path, reloadIntervalMs: 100, reloadStableMs: undefined });
    server = started.server;
    const sampler = sampleConfig(server);
    writeFileSync(path, EXAMPLE); // the first half: enforce, one pipeline
    await new Promise((r) => setTimeout(r, 1000));
    appendFileSync(path, SECOND_PIPELINE);
    const s = server;
    await waitFor(() => s.config().pipelines.size === 2, 10_000, 'the whole config');
    sampler.stop();
    assert.deepEqual(
      sampler.seen.map((c) => `${c.mode}/${c.pipelines.size}`),
      ['audit/1', 'enforce/2'],
      'the audit config, then the whole new one, and nothing between',
    );
  });

  it('with the defaults (read every 1 s, a 2 s window): a ConfigMap update (the ..data symlink swapped) applies within seconds', async () => {
    const volume = configMapVolume(AUDIT);
    const started = await startTestServer({ configPath: volume.path, reloadIntervalMs: undefined, reloadStableMs: undefined });
    server = started.server;
    assert.equal(server.config().mode, 'audit');
    volume.publish(EXAMPLE);
    const t0 = performance.now();
    const s = server;
    await waitFor(() => s.config().mode === 'enforce', 10_000, 'the new config');
    const seconds = (performance.now() - t0) / 1000;
    assert.ok(seconds >= 1.9, `not before it was stable for the 2 s window (${seconds.toFixed(1)} s)`);
    assert.ok(started.logs.some((l) => l['event'] === 'config-reload'));
  });

  it('an invalid config swapped in keeps the last good one in force; the next valid one applies', async () => {
    const volume = configMapVolume(AUDIT);
    const started = await startTestServer({ configPath: volume.path });
    server = started.server;
    volume.publish('apiVersion: stagewall.dev/v1alpha1\nkind: StagewallConfig\nmode: sometimes\npipelines: []\n');
    await waitFor(() => started.logs.some((l) => l['event'] === 'config-reload-failed'), 5000, 'the reload failure');
    assert.equal(server.config().mode, 'audit');
    const res = await postJson(server.port, '/validate', admissionReview(pod('etl-transform', 'debug')), { ca: started.ca });
    assert.equal(res.body.response.allowed, true, 'still judged by the audit config');
    volume.publish(EXAMPLE);
    const s = server;
    await waitFor(() => s.config().mode === 'enforce', 5000, 'the next good config');
  });

  it('a new certificate written before its key is applied once, whole: no failed reload of a mismatched pair', async () => {
    // The gap is far below the window, so that a loaded machine's late timers cannot stretch it past.
    const started = await startTestServer({ reloadStableMs: 1500 });
    server = started.server;
    const next = mkdtempSync(join(tmpdir(), 'stagewall-certs-next-'));
    await makeStagewallCerts(next);
    const [cert, key] = [readFileSync(join(next, 'tls.crt')), readFileSync(join(next, 'tls.key'))];
    writeFileSync(join(started.dir, 'tls.crt'), cert);
    const written = Date.now();
    await new Promise((r) => setTimeout(r, 150));
    writeFileSync(join(started.dir, 'tls.key'), key);
    assert.ok(Date.now() - written < 1500, 'the key came within the window');
    const newCa = readFileSync(join(next, 'ca.crt'));
    const s = server;
    await waitFor(
      () =>
        postJson(s.port, '/validate', admissionReview(pod('etl-transform', 'debug')), { ca: newCa }).then(
          () => true,
          () => false,
        ),
      10_000,
      'the new certificate',
    );
    const reloads = await s.metrics.registry.getSingleMetricAsString('stagewall_certificate_reloads_total');
    assert.match(reloads, /result="success"} 1/);
    assert.doesNotMatch(reloads, /result="failure"} [1-9]/);
    assert.ok(!started.logs.some((l) => l['event'] === 'certificate-reload-failed'));
  });
});
