// A one-off, read-only snapshot of a live cluster's Namespaces and NetworkPolicies: the view that
// `check --cluster` and `graph --cluster` judge manifests against (with the manifests applied on
// top, as `kubectl apply` would). Needs only get/list on those two kinds.
import { KubeConfig } from '@kubernetes/client-node';
import { compilePolicy, type KubeObject, type NetworkPolicy } from '../engine/index.js';
import { isStagewallError, StagewallError } from '../errors.js';
import { ApiStatusError, LIST_PAGE_SIZE, listAll, NAMESPACES, NETWORK_POLICIES, PODS } from './api.js';

export interface KubeConfigChoice {
  /** A kubeconfig file; default $KUBECONFIG, ~/.kube/config or the in-cluster config. */
  readonly kubeconfig?: string | undefined;
  /** A context of that kubeconfig; default its current context. */
  readonly context?: string | undefined;
}

export interface ClusterSnapshot {
  /** The API server's URL, for messages. */
  readonly server: string;
  /** Namespaces then NetworkPolicies, with apiVersion and kind set; without the skipped ones. */
  readonly objects: readonly KubeObject[];
  readonly namespaces: number;
  readonly policies: number;
  /**
   * Live policies stagewall cannot read (an old cluster may hold a CIDR with leading zeros): left
   * out, as the webhook's informer leaves them out, since they are not the checked manifests' fault.
   */
  readonly skipped: readonly { readonly policy: string; readonly reason: string }[];
}

export function loadKubeConfigChoice(choice: KubeConfigChoice): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (choice.kubeconfig) kc.loadFromFile(choice.kubeconfig);
    else kc.loadFromDefault();
  } catch (err) {
    throw new StagewallError('CLUSTER', `cannot load the kubeconfig ${choice.kubeconfig ?? '(default)'}: ${(err as Error).message}`);
  }
  // With nothing to load, client-node falls back to an unauthenticated http://localhost:8080.
  const cluster = kc.getCurrentCluster();
  if (!choice.kubeconfig && cluster?.name === 'cluster' && cluster.server === 'http://localhost:8080' && kc.getCurrentUser()?.name === 'user') {
    throw new StagewallError('CLUSTER', 'no kubeconfig found: set $KUBECONFIG, write ~/.kube/config, run in a pod, or pass --kubeconfig FILE');
  }
  if (choice.context) {
    if (!kc.getContextObject(choice.context)) {
      const known = kc.getContexts().map((c) => c.name);
      throw new StagewallError('CLUSTER', `the kubeconfig has no context "${choice.context}" (it has: ${known.length > 0 ? known.join(', ') : 'none'})`);
    }
    kc.setCurrentContext(choice.context);
  }
  return kc;
}

/** What went wrong, in words: the API server's own message for an error status. */
function reasonOf(err: unknown): string {
  if (err instanceof ApiStatusError) {
    const hint =
      err.statusCode === 401
        ? ' (the credentials of the kubeconfig were refused)'
        : err.statusCode === 403
          ? ' (check --cluster needs get and list on namespaces and on networkpolicies.networking.k8s.io)'
          : '';
    return `HTTP ${err.statusCode}: ${err.message}${hint}`;
  }
  const message = (err as Error)?.message ?? String(err);
  const cause = (err as { cause?: { message?: string } })?.cause?.message;
  return cause && !message.includes(cause) ? `${message} (${cause})` : message;
}

/** Reads every Namespace and NetworkPolicy the kubeconfig's user can list. */
export async function readClusterSnapshot(kc: KubeConfig, pageSize = LIST_PAGE_SIZE): Promise<ClusterSnapshot> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new StagewallError('CLUSTER', `the kubeconfig's context "${kc.getCurrentContext()}" names no cluster`);
  try {
    const namespaces = await listAll(kc, NAMESPACES.path, NAMESPACES, pageSize);
    const policies = await listAll(kc, NETWORK_POLICIES.path, NETWORK_POLICIES, pageSize);
    const skipped: { policy: string; reason: string }[] = [];
    const readable = policies.items.filter((policy) => {
      try {
        compilePolicy(policy as NetworkPolicy);
        return true;
      } catch (err) {
        if (!isStagewallError(err)) throw err;
        skipped.push({ policy: `${policy.metadata?.namespace}/${policy.metadata?.name}`, reason: err.message });
        return false;
      }
    });
    return { server, objects: [...namespaces.items, ...readable], namespaces: namespaces.items.length, policies: policies.items.length, skipped };
  } catch (err) {
    if (isStagewallError(err)) throw err;
    throw new StagewallError('CLUSTER', `cannot read Namespaces and NetworkPolicies from the cluster at ${server}: ${reasonOf(err)}`);
  }
}

/**
 * Reads every Pod the kubeconfig's user can list: the workloads running in the cluster, each of
 * which `connectivity --cluster` groups under its controller owner (as the pod names it).
 */
export async function readClusterPods(kc: KubeConfig, pageSize = LIST_PAGE_SIZE): Promise<KubeObject[]> {
  const server = kc.getCurrentCluster()?.server ?? '(no server)';
  try {
    return (await listAll(kc, PODS.path, PODS, pageSize)).items;
  } catch (err) {
    if (isStagewallError(err)) throw err;
    const hint = err instanceof ApiStatusError && err.statusCode === 403 ? ' (connectivity --cluster needs list on pods too)' : '';
    throw new StagewallError('CLUSTER', `cannot read Pods from the cluster at ${server}: ${reasonOf(err)}${hint}`);
  }
}
