// The one source of truth for stagewall.yaml: ajv validates against this schema and the
// TypeScript type is derived from it, so the two cannot drift.
import type { FromSchema } from 'json-schema-to-ts';
import { DEFAULT_PIPELINE_LABEL, DEFAULT_STAGE_LABEL } from '../shared/names.js';

const dnsLabel = { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 63 } as const;
const stageRef = {
  type: 'string',
  pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?/)?[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
  description: 'a stage of this pipeline, or pipeline/stage for a stage of another pipeline',
} as const;
const mode = { type: 'string', enum: ['enforce', 'audit', 'off'] } as const;

const port = {
  type: 'object',
  additionalProperties: false,
  required: ['port'],
  properties: {
    port: {
      anyOf: [
        { type: 'integer', minimum: 1, maximum: 65535 },
        { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', maxLength: 15, description: 'a named container port' },
      ],
    },
    endPort: { type: 'integer', minimum: 1, maximum: 65535 },
    protocol: { type: 'string', enum: ['TCP', 'UDP', 'SCTP'], description: 'default TCP' },
  },
} as const;

const portOrNumber = { anyOf: [{ type: 'integer', minimum: 1, maximum: 65535 }, port] } as const;

const external = {
  anyOf: [
    { type: 'string', description: 'a CIDR' },
    {
      type: 'object',
      additionalProperties: false,
      required: ['cidr'],
      properties: {
        cidr: { type: 'string' },
        ports: { type: 'array', items: portOrNumber },
      },
    },
  ],
} as const;

const stage = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: dnsLabel,
    namespace: { ...dnsLabel, description: "the namespace the stage runs in, for generate (default: the pipeline's namespace)" },
    ingressFrom: { type: 'array', items: stageRef, description: 'stages this stage receives from (default: the previous stage)' },
    egressTo: { type: 'array', items: stageRef, description: 'stages this stage sends to (default: the next stage)' },
    ingressNamespaces: { type: 'array', items: dnsLabel, description: 'non-pipeline namespaces that may reach this stage' },
    egressNamespaces: { type: 'array', items: dnsLabel, description: 'non-pipeline namespaces this stage may reach' },
    ingressExternal: { type: 'array', items: external, description: 'CIDRs that may reach this stage' },
    egressExternal: { type: 'array', items: external, description: 'CIDRs this stage may reach' },
    ports: { type: 'array', items: portOrNumber, description: 'the ports this stage serves' },
  },
} as const;

export const configSchema = {
  $id: 'https://stagewall.dev/schemas/v1alpha1/StagewallConfig.json',
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'pipelines'],
  properties: {
    apiVersion: { const: 'stagewall.dev/v1alpha1' },
    kind: { const: 'StagewallConfig' },
    mode: { ...mode, default: 'enforce' },
    labels: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        pipeline: { type: 'string', minLength: 1, default: DEFAULT_PIPELINE_LABEL },
        stage: { type: 'string', minLength: 1, default: DEFAULT_STAGE_LABEL },
      },
    },
    exemptNamespaces: {
      type: 'array',
      items: dnsLabel,
      default: ['kube-system', 'kube-public', 'kube-node-lease', 'stagewall-system'],
    },
    serviceAccount: {
      type: 'string',
      default: 'system:serviceaccount:stagewall-system:stagewall',
      description: "stagewall's own user name: the only one that may change managed policies",
    },
    defaultDeny: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        enabled: { type: 'boolean', default: true },
        allowDNS: { type: 'boolean', default: true },
      },
    },
    workloadCoverage: { type: 'string', enum: ['warn', 'deny'], default: 'warn' },
    pipelines: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'stages'],
        properties: {
          name: dnsLabel,
          mode,
          namespace: { ...dnsLabel, description: 'the namespace its stages run in, for generate (default: the pipeline name)' },
          stages: { type: 'array', minItems: 1, items: stage },
        },
      },
    },
  },
} as const;

/**
 * The JSON Schema of stagewall.yaml for editors and other tools (`stagewall schema`, and the
 * committed stagewall.schema.json): the validator's schema with its draft and a title.
 */
export function configJsonSchemaText(): string {
  const { $id, ...rest } = configSchema;
  const doc = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id,
    title: 'StagewallConfig',
    description: 'stagewall.yaml: the pipelines, their stages and the declared flow',
    ...rest,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** stagewall.yaml after ajv has validated it and filled in the defaults. */
export type StagewallConfigDocument = FromSchema<typeof configSchema>;
export type PipelineDocument = StagewallConfigDocument['pipelines'][number];
export type StageDocument = PipelineDocument['stages'][number];
export type PortDocument = NonNullable<StageDocument['ports']>[number];
export type ExternalDocument = NonNullable<StageDocument['egressExternal']>[number];
export type Mode = NonNullable<StagewallConfigDocument['mode']>;
