// NetworkPolicies compiled once, when they enter a view: selectors, ipBlocks and the
// effective policyTypes. The admission hot path only reads these.
import { StagewallError } from '../errors.js';
import { ipBlockRanges, isEveryAddress, parseCidr, type Cidr, type IpRange } from '../shared/cidr.js';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../shared/names.js';
import { hasPolicyType } from './direction.js';
import { compileSelector, type CompiledSelector, type SelectorCache } from './selectors.js';
import type { Labels, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec } from './types.js';

export interface CompiledIpBlock {
  readonly cidr: Cidr;
  readonly except: readonly Cidr[];
  /** The addresses admitted: cidr minus except. */
  readonly ranges: readonly IpRange[];
}

export interface CompiledPeer {
  readonly raw: NetworkPolicyPeer;
  /** Absent in the peer: then the peer does not narrow pods (or stays in the policy's namespace). */
  readonly podSelector?: CompiledSelector;
  readonly namespaceSelector?: CompiledSelector;
  readonly ipBlock?: CompiledIpBlock;
}

export interface CompiledRule {
  /** Empty means the rule admits every peer. */
  readonly peers: readonly CompiledPeer[];
  /** Empty means every port. */
  readonly ports: readonly NetworkPolicyPort[];
}

export type Direction = 'ingress' | 'egress';

export interface CompiledPolicy {
  readonly name: string;
  readonly namespace: string;
  readonly raw: NetworkPolicy;
  readonly podSelector: CompiledSelector;
  /** Effective policyTypes after Kubernetes' defaulting. */
  readonly ingress: boolean;
  readonly egress: boolean;
  readonly ingressRules: readonly CompiledRule[];
  readonly egressRules: readonly CompiledRule[];
}

/**
 * policyTypes as the API server defaults them: when omitted or empty, Ingress always, plus
 * Egress when the policy has at least one egress rule.
 */
export function effectivePolicyTypes(spec: NetworkPolicySpec | undefined): { ingress: boolean; egress: boolean } {
  const declared = spec?.policyTypes ?? [];
  if (declared.length > 0) {
    return { ingress: declared.includes('Ingress'), egress: declared.includes('Egress') };
  }
  return { ingress: true, egress: (spec?.egress?.length ?? 0) > 0 };
}

/**
 * Does `policy` isolate a pod with these labels in `direction`? It must select the pod and have
 * the direction in its effective policyTypes (the policy's namespace is the caller's concern).
 */
export function isolates(policy: CompiledPolicy, direction: Direction, labels: Labels): boolean {
  return hasPolicyType(policy, direction) && policy.podSelector.matches(labels);
}

export function isManagedPolicy(policy: NetworkPolicy | undefined): boolean {
  return policy?.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE;
}

/** parseCidr, with the object and field named in its error as for every other bad field. */
function parseCidrAt(text: string, where: string): Cidr {
  try {
    return parseCidr(text);
  } catch (err) {
    if (err instanceof StagewallError) throw new StagewallError(err.code, `${where}: ${err.message}`, err.details);
    throw err;
  }
}

function compilePeer(peer: NetworkPolicyPeer, where: string, selectors: SelectorCache | undefined): CompiledPeer {
  if (peer.ipBlock) {
    if (peer.podSelector || peer.namespaceSelector) {
      throw new StagewallError('MANIFEST_SHAPE', `${where}: a peer with ipBlock must not also have podSelector or namespaceSelector`);
    }
    const cidr = parseCidrAt(peer.ipBlock.cidr, `${where} ipBlock.cidr`);
    const except = (peer.ipBlock.except ?? []).map((e, k) => parseCidrAt(e, `${where} ipBlock.except[${k}]`));
    for (const e of except) {
      // As the API server validates it: an except must be a strict subset of the cidr.
      if (e.family !== cidr.family || e.start < cidr.start || e.end > cidr.end || e.prefix <= cidr.prefix) {
        throw new StagewallError('CIDR_INVALID', `${where}: except ${e.text} is not strictly inside ${cidr.text}`);
      }
    }
    return { raw: peer, ipBlock: { cidr, except, ranges: ipBlockRanges(cidr, except) } };
  }
  if (!peer.podSelector && !peer.namespaceSelector) {
    // The API server refuses an empty peer; it must not silently mean "every pod of the namespace".
    throw new StagewallError('MANIFEST_SHAPE', `${where}: a peer must have podSelector, namespaceSelector or ipBlock`);
  }
  return {
    raw: peer,
    ...(peer.podSelector ? { podSelector: compileSelector(peer.podSelector, `${where}.podSelector`, selectors) } : {}),
    ...(peer.namespaceSelector ? { namespaceSelector: compileSelector(peer.namespaceSelector, `${where}.namespaceSelector`, selectors) } : {}),
  };
}

export interface CompileOptions {
  /**
   * Shares identical selectors between policies. Only a view passes one, for the policies it
   * holds: a policy under review is compiled on its own, so it leaves nothing behind.
   */
  readonly selectors?: SelectorCache | undefined;
}

export function compilePolicy(policy: NetworkPolicy, fallbackNamespace = 'default', { selectors }: CompileOptions = {}): CompiledPolicy {
  const name = policy.metadata?.name ?? '';
  const namespace = policy.metadata?.namespace ?? fallbackNamespace;
  const spec = policy.spec ?? {};
  const where = `NetworkPolicy ${namespace}/${name}`;
  const types = effectivePolicyTypes(spec);
  const compileRules = (dir: Direction, rules: readonly { peers?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }[]): CompiledRule[] =>
    rules.map((rule, i) => ({
      peers: (rule.peers ?? []).map((p, j) => compilePeer(p, `${where} spec.${dir}[${i}] peer ${j}`, selectors)),
      ports: rule.ports ?? [],
    }));
  return {
    name,
    namespace,
    raw: policy,
    podSelector: compileSelector(spec.podSelector ?? {}, `${where} spec.podSelector`, selectors),
    ingress: types.ingress,
    egress: types.egress,
    ingressRules: compileRules(
      'ingress',
      (spec.ingress ?? []).map((r) => ({ peers: r.from, ports: r.ports })),
    ),
    egressRules: compileRules(
      'egress',
      (spec.egress ?? []).map((r) => ({ peers: r.to, ports: r.ports })),
    ),
  };
}

/** Why a peer admits everything, or undefined when it does not. */
export function openPeerReason(peer: CompiledPeer): string | undefined {
  if (peer.ipBlock) {
    // With except entries the block is narrower than "everything"; the *-external rules judge it.
    return isEveryAddress(peer.ipBlock.cidr) && peer.ipBlock.except.length === 0 ? `ipBlock ${peer.ipBlock.cidr.text} is every address` : undefined;
  }
  if (peer.namespaceSelector?.selectsAll && (!peer.podSelector || peer.podSelector.selectsAll)) {
    return 'namespaceSelector {} without a narrowing podSelector matches every pod in every namespace';
  }
  return undefined;
}
