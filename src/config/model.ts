// The resolved config the engine reads: stage references resolved to ids, the default linear
// flow applied, CIDRs parsed. Built once per (re)load, never per admission.
import type { Cidr } from '../shared/cidr.js';
import type { Mode, StagewallConfigDocument } from './schema.js';

export type { Mode } from './schema.js';
export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface PortSpec {
  readonly port: number | string;
  readonly endPort?: number;
  readonly protocol: Protocol;
}

export interface ExternalEndpoint {
  readonly cidr: Cidr;
  /** Empty means every port. */
  readonly ports: readonly PortSpec[];
}

export interface Stage {
  /** `pipeline/stage`, unique across the config. */
  readonly id: string;
  readonly pipeline: string;
  readonly name: string;
  readonly index: number;
  /** Where the stage runs, for generate: stage or pipeline `namespace`, else the pipeline name. */
  readonly namespace: string;
  /** Stage ids this stage may receive from and send to. */
  readonly ingressFrom: ReadonlySet<string>;
  readonly egressTo: ReadonlySet<string>;
  readonly ingressNamespaces: ReadonlySet<string>;
  readonly egressNamespaces: ReadonlySet<string>;
  readonly ingressExternal: readonly ExternalEndpoint[];
  readonly egressExternal: readonly ExternalEndpoint[];
  /** The ports the stage serves; empty means every port. */
  readonly ports: readonly PortSpec[];
}

export interface Pipeline {
  readonly name: string;
  readonly mode: Mode;
  /** In declaration order. */
  readonly stages: readonly Stage[];
  stage(name: string): Stage | undefined;
}

export interface StagewallConfig {
  readonly mode: Mode;
  readonly labels: { readonly pipeline: string; readonly stage: string };
  readonly exemptNamespaces: ReadonlySet<string>;
  readonly serviceAccount: string;
  readonly defaultDeny: { readonly enabled: boolean; readonly allowDNS: boolean };
  readonly workloadCoverage: 'warn' | 'deny';
  readonly pipelines: ReadonlyMap<string, Pipeline>;
  readonly stages: ReadonlyMap<string, Stage>;
  /** The validated document with defaults, as loaded. */
  readonly document: StagewallConfigDocument;
}

export function stageId(pipeline: string, stage: string): string {
  return `${pipeline}/${stage}`;
}
