// Which apiVersion/kind pairs a manifest may carry. Kinds stagewall judges must use the
// version it knows; other built-in kinds pass through unjudged; anything else is unknown.

/** Kinds the engine judges, with the one apiVersion it reads. */
export const JUDGED_KINDS: ReadonlyMap<string, string> = new Map([
  ['Pod', 'v1'],
  ['Namespace', 'v1'],
  ['NetworkPolicy', 'networking.k8s.io/v1'],
  ['Deployment', 'apps/v1'],
  ['StatefulSet', 'apps/v1'],
  ['DaemonSet', 'apps/v1'],
  ['ReplicaSet', 'apps/v1'],
  ['Job', 'batch/v1'],
  ['CronJob', 'batch/v1'],
]);

/** Built-in kinds that may sit beside pipeline manifests; accepted and not judged. */
const PASS_THROUGH: Readonly<Record<string, readonly string[]>> = {
  v1: [
    'ConfigMap',
    'Secret',
    'Service',
    'ServiceAccount',
    'Endpoints',
    'PersistentVolumeClaim',
    'PersistentVolume',
    'LimitRange',
    'ResourceQuota',
    'ReplicationController',
    'PodTemplate',
    'Event',
  ],
  'apps/v1': ['ControllerRevision'],
  'rbac.authorization.k8s.io/v1': ['Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'],
  'networking.k8s.io/v1': ['Ingress', 'IngressClass'],
  'policy/v1': ['PodDisruptionBudget'],
  'autoscaling/v1': ['HorizontalPodAutoscaler'],
  'autoscaling/v2': ['HorizontalPodAutoscaler'],
  'admissionregistration.k8s.io/v1': [
    'ValidatingWebhookConfiguration',
    'MutatingWebhookConfiguration',
    'ValidatingAdmissionPolicy',
    'ValidatingAdmissionPolicyBinding',
  ],
  'storage.k8s.io/v1': ['StorageClass'],
  'scheduling.k8s.io/v1': ['PriorityClass'],
  'apiextensions.k8s.io/v1': ['CustomResourceDefinition'],
  'coordination.k8s.io/v1': ['Lease'],
  'discovery.k8s.io/v1': ['EndpointSlice'],
  'kustomize.config.k8s.io/v1beta1': ['Kustomization'],
  'stagewall.dev/v1alpha1': ['StagewallConfig'],
};

export type KindStatus = { readonly status: 'judged' | 'pass-through' } | { readonly status: 'unknown'; readonly why: string };

export function classifyKind(apiVersion: string, kind: string): KindStatus {
  const judgedVersion = JUDGED_KINDS.get(kind);
  if (judgedVersion !== undefined) {
    return judgedVersion === apiVersion
      ? { status: 'judged' }
      : { status: 'unknown', why: `apiVersion must be ${judgedVersion} for a ${kind}, not "${apiVersion}"` };
  }
  if (PASS_THROUGH[apiVersion]?.includes(kind)) return { status: 'pass-through' };
  return { status: 'unknown', why: `unknown apiVersion/kind "${apiVersion}" "${kind}"` };
}
