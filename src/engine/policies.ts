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

/**
 * A namespace's policies of one direction, by their position in the list, indexed by one label
 * each must see: a podSelector with matchLabels selects only pods carrying every pair of them, so a pod
 * is tried only against the policies filed under its own labels and those without matchLabels.
 * With 300 policies in a namespace, scanning all of them (twice per direction and admission) was
 * the engine's largest cost through a real API server (docs/performance.md).
 */
interface SelectionIndex {
  readonly unindexed: readonly number[];
  readonly byLabel: ReadonlyMap<string, readonly number[]>;
}

/** Per policy list (the view replaces a namespace's frozen list whenever one of its policies changes), per direction. */
const selectionIndexes = new WeakMap<readonly CompiledPolicy[], Partial<Record<Direction, SelectionIndex>>>();

function selectionIndex(policies: readonly CompiledPolicy[], direction: Direction): SelectionIndex {
  let byDirection = selectionIndexes.get(policies);
  if (!byDirection) {
    byDirection = {};
    selectionIndexes.set(policies, byDirection);
  }
  let index = byDirection[direction];
  if (!index) {
    const unindexed: number[] = [];
    const byLabel = new Map<string, number[]>();
    // Each policy is filed under the rarest of its matchLabels pairs, so that a label every
    // policy names (the stage) does not make one bucket of them all.
    const pairs: (string[] | undefined)[] = [];
    const counts = new Map<string, number>();
    policies.forEach((p, i) => {
      if (!hasPolicyType(p, direction)) return;
      // The pairs the compiled selector pins to one value (matchLabels, or In with one value):
      // a pod it selects carries each of them.
      const keys: string[] = [];
      for (const [key, c] of p.podSelector.byKey) if (c.presentOk && c.allowed?.size === 1) for (const value of c.allowed) keys.push(`${key}\u0000${value}`);
      if (keys.length === 0) {
        unindexed.push(i);
        return;
      }
      pairs[i] = keys;
      for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
    });
    pairs.forEach((keys, i) => {
      if (!keys) return;
      let best = keys[0] as string;
      for (const key of keys) if ((counts.get(key) as number) < (counts.get(best) as number)) best = key;
      const list = byLabel.get(best);
      if (list) list.push(i);
      else byLabel.set(best, [i]);
    });
    index = { unindexed, byLabel };
    byDirection[direction] = index;
  }
  return index;
}

/** policies.filter((p) => isolates(p, direction, labels)), through the index, in list order. */
export function isolatingOf(policies: readonly CompiledPolicy[], direction: Direction, labels: Labels): CompiledPolicy[] {
  const index = selectionIndex(policies, direction);
  let found: number[] | undefined;
  let sources = 0;
  const collect = (positions: readonly number[]) => {
    const before = found?.length ?? 0;
    for (const i of positions) if ((policies[i] as CompiledPolicy).podSelector.matches(labels)) (found ??= []).push(i);
    if ((found?.length ?? 0) > before) sources += 1;
  };
  collect(index.unindexed);
  if (index.byLabel.size > 0) {
    for (const key of Object.keys(labels)) {
      const filed = index.byLabel.get(`${key}\u0000${labels[key]}`);
      if (filed) collect(filed);
    }
  }
  if (!found) return [];
  // Matches from more than one bucket: back into list order, as a scan would find them.
  if (sources > 1) found.sort((x, y) => x - y);
  return found.map((i) => policies[i] as CompiledPolicy);
}

/** policies.some((p) => isolates(p, direction, labels)), through the index. */
export function anyIsolates(policies: readonly CompiledPolicy[], direction: Direction, labels: Labels): boolean {
  const index = selectionIndex(policies, direction);
  for (const i of index.unindexed) if ((policies[i] as CompiledPolicy).podSelector.matches(labels)) return true;
  if (index.byLabel.size === 0) return false;
  for (const key of Object.keys(labels)) {
    const filed = index.byLabel.get(`${key}\u0000${labels[key]}`);
    if (filed) for (const i of filed) if ((policies[i] as CompiledPolicy).podSelector.matches(labels)) return true;
  }
  return false;
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
