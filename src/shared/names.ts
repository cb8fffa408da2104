// The names stagewall reads and writes on Kubernetes objects: well-known labels and annotations,
// and the names of the policies it manages. One module, so that config's collision check, the
// generator, the mutation, the reconciler and the rules cannot spell them differently.

/** Set by the API server on every namespace (Kubernetes 1.22+). */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
export const KUBE_SYSTEM_NAMESPACE = 'kube-system';
/** The label and value of the cluster DNS pods in kube-system. */
export const DNS_POD_LABEL = 'k8s-app';
export const DNS_POD_VALUE = 'kube-dns';

/** The labels the config uses for pipeline and stage unless it names others. */
export const DEFAULT_PIPELINE_LABEL = 'stagewall.dev/pipeline';
export const DEFAULT_STAGE_LABEL = 'stagewall.dev/stage';

/** Marks the policies stagewall applies and guards (the managed default-deny pair). */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'stagewall';
/** On policies that `stagewall generate` wrote. */
export const GENERATED_LABEL = 'stagewall.dev/generated';
/** A generated policy's one-line reason, printed as a comment by `generate`. */
export const PURPOSE_ANNOTATION = 'stagewall.dev/purpose';
/** Set on a pipeline namespace at CREATE: the managed policies it will get. */
export const DEFAULT_DENY_ANNOTATION = 'stagewall.dev/default-deny';
/** On a pipeline namespace: the stage of pods that carry no stage label. */
export const DEFAULT_STAGE_ANNOTATION = 'stagewall.dev/default-stage';

export const DEFAULT_DENY_NAME = 'stagewall-default-deny';
export const ALLOW_DNS_NAME = 'stagewall-allow-dns';

/** The managed policies' names with what each is, as config's collision check names them. */
export const MANAGED_POLICIES: ReadonlyMap<string, string> = new Map([
  [DEFAULT_DENY_NAME, 'the managed default-deny'],
  [ALLOW_DNS_NAME, 'the managed allow-dns'],
]);

/** The managed policies a pipeline namespace gets under the config's defaultDeny settings, in apply order. */
export function managedPolicyNames(config: { readonly defaultDeny: { readonly enabled: boolean; readonly allowDNS: boolean } }): string[] {
  if (!config.defaultDeny.enabled) return [];
  return config.defaultDeny.allowDNS ? [DEFAULT_DENY_NAME, ALLOW_DNS_NAME] : [DEFAULT_DENY_NAME];
}

/** The name of the policy `generate` writes for a stage. */
export function stagePolicyName(stage: { readonly pipeline: string; readonly name: string }): string {
  return `stagewall-${stage.pipeline}-${stage.name}`;
}
