// Workloads whose pod template is judged as a pod of the object's namespace, so a bad
// Deployment is refused at `kubectl apply`, not later in ReplicaSet events.
import { isRecord, type KubeObject, type PodTemplate } from './types.js';

export const WORKLOAD_KINDS: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob']);

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return isRecord(value) ? value : undefined;
}

/** The pod template of a workload, or of a Pod the pod itself; undefined when there is none. */
export function podTemplateOf(object: KubeObject): PodTemplate | undefined {
  if (object.kind === 'Pod') return { metadata: object.metadata ?? {}, spec: asRecord(object['spec']) ?? {} } as PodTemplate;
  const spec = asRecord(object['spec']);
  if (object.kind === 'CronJob') {
    return asRecord(asRecord(asRecord(spec?.['jobTemplate'])?.['spec'])?.['template']) as PodTemplate | undefined;
  }
  return asRecord(spec?.['template']) as PodTemplate | undefined;
}

/** JSON Pointer to the template's metadata, for patches (RFC 6901). */
export function templateMetadataPointer(kind: string | undefined): string {
  if (kind === 'Pod') return '/metadata';
  if (kind === 'CronJob') return '/spec/jobTemplate/spec/template/metadata';
  return '/spec/template/metadata';
}
