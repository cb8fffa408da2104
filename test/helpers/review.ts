// AdmissionReview builders for webhook tests.
import type { KubeObject } from '../../src/engine/types.js';

let counter = 0;

export function admissionReview(
  object: KubeObject | null,
  options: { operation?: string; oldObject?: KubeObject | null; apiVersion?: string; username?: string; dryRun?: boolean; namespace?: string } = {},
): Record<string, unknown> {
  counter += 1;
  const subject = object ?? options.oldObject ?? {};
  return {
    apiVersion: options.apiVersion ?? 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `00000000-0000-4000-8000-${String(counter).padStart(12, '0')}`,
      kind: { group: '', version: 'v1', kind: subject.kind ?? 'Pod' },
      operation: options.operation ?? 'CREATE',
      name: subject.metadata?.name,
      namespace: options.namespace ?? subject.metadata?.namespace,
      userInfo: { username: options.username ?? 'alice', groups: ['system:authenticated'] },
      object,
      oldObject: options.oldObject ?? null,
      dryRun: options.dryRun ?? false,
    },
  };
}

export function pod(namespace: string, name: string, labels: Record<string, string> = {}, spec: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels }, spec: { containers: [{ name: 'main', image: 'busybox' }], ...spec } };
}

export function namespace(name: string, labels: Record<string, string> = {}, annotations: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels, annotations } };
}
