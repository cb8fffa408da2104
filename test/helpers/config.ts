// Test helpers: configs and objects built from short literals.
import { resolveConfig } from '../../src/config/load.js';
import type { StagewallConfig } from '../../src/config/model.js';

/** A config from a partial document: apiVersion and kind are filled in. */
export function makeConfig(doc: Record<string, unknown>): StagewallConfig {
  return resolveConfig({ apiVersion: 'stagewall.dev/v1alpha1', kind: 'StagewallConfig', ...doc });
}

/** The linear etl pipeline of the examples, in one call. */
export function etlConfig(extra: Record<string, unknown> = {}): StagewallConfig {
  return makeConfig({
    pipelines: [
      {
        name: 'etl',
        stages: [
          { name: 'extract', egressExternal: ['203.0.113.0/24'] },
          { name: 'transform' },
          { name: 'load', egressNamespaces: ['warehouse'], ingressNamespaces: ['monitoring'] },
        ],
      },
    ],
    ...extra,
  });
}
