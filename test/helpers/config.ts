// Test helpers: configs and objects built from short literals.
import { resolveConfig } from '../../src/config/load.js';
import type { StagewallConfig } from '../../src/config/model.js';

/** A config from a partial document: apiVersion and kind are filled in. */
export function makeConfig(doc: Record<string, unknown>): StagewallConfig {
  return resolveConfig({ apiVersion: 'stagewall.dev/v1alpha1', kind: 'StagewallConfig', ...doc });
}

/** The linear etl pipeline of the examples, as a config document's pipeline entry. */
export const ETL_PIPELINE = {
  name: 'etl',
  stages: [
    { name: 'extract', egressExternal: ['203.0.113.0/24'] },
    { name: 'transform' },
    { name: 'load', egressNamespaces: ['warehouse'], ingressNamespaces: ['monitoring'] },
  ],
} as const;

/** A config holding the etl pipeline alone (unless `extra` brings its own pipelines). */
export function etlConfig(extra: Record<string, unknown> = {}): StagewallConfig {
  return makeConfig({ pipelines: [ETL_PIPELINE], ...extra });
}
