// The workloads of a view, as `connectivity` lists them and `graph` judges them: what the
// policies select (namespace, labels) and what named ports resolve against (container ports).
// A workload is a Pod, the owner its controller ownerReference names (taken as written, so a pod
// of an absent ReplicaSet keeps the hashed name), or the pod template of a controller kind.
import type { StagewallConfig } from '../config/model.js';
import type { PodEndpoint } from './reachability.js';
import { pipelineOfNamespace } from './peers.js';
import { effectivePodLabels } from './subjects.js';
import { isRecord, type ContainerPort, type KubeObject, type Labels } from './types.js';
import type { View } from './view.js';
import { podTemplateOf } from './workloads.js';

/** Kinds whose pod template is a workload, with the one apiVersion read for each. */
export const TEMPLATE_KINDS: ReadonlyMap<string, string> = new Map([
  ['Deployment', 'apps/v1'],
  ['StatefulSet', 'apps/v1'],
  ['DaemonSet', 'apps/v1'],
  ['ReplicaSet', 'apps/v1'],
  ['ReplicationController', 'v1'],
  ['Job', 'batch/v1'],
  ['CronJob', 'batch/v1'],
]);

export interface Workload {
  readonly namespace: string;
  readonly name: string;
  readonly kind: string;
  /** `ns/name[Kind]`, as netpol-analyzer writes a workload. */
  readonly id: string;
  /** The pod's labels; with a config, after stagewall's mutation in a pipeline namespace. */
  readonly labels: Labels;
  /** Numbered container ports of the containers, in order: a named port resolves to the first of its name. */
  readonly containerPorts: readonly ContainerPort[];
  /** With a config: the stage's id (`pipeline/stage`) for a workload of a pipeline namespace whose stage label names one. */
  readonly stage?: string | undefined;
  readonly endpoint: PodEndpoint;
}

interface OwnerReference {
  readonly kind?: unknown;
  readonly name?: unknown;
  readonly controller?: unknown;
}

/** The controller owner a pod's ownerReferences name, unless it is a Node (a static pod is its own workload). */
function controllerOf(object: KubeObject): { kind: string; name: string } | undefined {
  const refs = object.metadata?.ownerReferences;
  if (!Array.isArray(refs)) return undefined;
  for (const ref of refs as OwnerReference[]) {
    if (!isRecord(ref) || ref.controller !== true) continue;
    if (typeof ref.kind !== 'string' || typeof ref.name !== 'string' || ref.kind === '' || ref.name === '') continue;
    return ref.kind === 'Node' ? undefined : { kind: ref.kind, name: ref.name };
  }
  return undefined;
}

function containerPortsOf(spec: unknown): ContainerPort[] {
  const containers = isRecord(spec) && Array.isArray(spec['containers']) ? (spec['containers'] as unknown[]) : [];
  const ports: ContainerPort[] = [];
  for (const container of containers) {
    const list = isRecord(container) && Array.isArray(container['ports']) ? (container['ports'] as unknown[]) : [];
    for (const port of list) {
      if (!isRecord(port) || typeof port['containerPort'] !== 'number') continue;
      ports.push({
        containerPort: port['containerPort'],
        ...(typeof port['name'] === 'string' ? { name: port['name'] } : {}),
        ...(typeof port['protocol'] === 'string' ? { protocol: port['protocol'] } : {}),
      });
    }
  }
  return ports;
}

function isWorkloadSource(object: KubeObject): boolean {
  if (object.kind === 'Pod') return object.apiVersion === 'v1';
  return object.kind !== undefined && TEMPLATE_KINDS.get(object.kind) === object.apiVersion;
}

export interface InventoryOptions {
  /** The namespace of objects that name none. */
  readonly defaultNamespace?: string;
  /** With a config, pipeline workloads carry the labels stagewall's mutation gives them, and their stage. */
  readonly config?: StagewallConfig | undefined;
  /** For a config: the namespaces' labels and annotations. */
  readonly view?: View | undefined;
}

/**
 * The workloads of these objects, in the order they first appear; one per namespace, kind and
 * name (the first object seen stands for it). Pods count whatever their phase.
 */
export function workloadsOf(objects: Iterable<KubeObject>, options: InventoryOptions = {}): Workload[] {
  const defaultNamespace = options.defaultNamespace ?? 'default';
  const seen = new Set<string>();
  const result: Workload[] = [];
  for (const object of objects) {
    if (!isWorkloadSource(object)) continue;
    const template = podTemplateOf(object);
    if (!template) continue;
    const namespace = object.metadata?.namespace ?? defaultNamespace;
    const owner = object.kind === 'Pod' ? controllerOf(object) : undefined;
    const kind = owner?.kind ?? object.kind!;
    const name = owner?.name ?? object.metadata?.name ?? '';
    const id = `${namespace}/${name}[${kind}]`;
    if (seen.has(id)) continue;
    seen.add(id);
    const rawLabels = isRecord(template.metadata?.labels) ? template.metadata.labels : {};
    let labels: Labels = rawLabels;
    let stage: string | undefined;
    const { config, view } = options;
    if (config && view) {
      const ns = view.namespace(namespace);
      const pipeline = pipelineOfNamespace(ns, config);
      if (ns && pipeline) {
        labels = effectivePodLabels(rawLabels, ns, pipeline, config);
        const stageName = labels[config.labels.stage];
        stage = stageName === undefined ? undefined : pipeline.stage(stageName)?.id;
      }
    }
    const containerPorts = containerPortsOf(template.spec);
    result.push({ namespace, name, kind, id, labels, containerPorts, stage, endpoint: { namespace, labels, containerPorts } });
  }
  return result;
}
