// The three peer rules of a NetworkPolicy, per direction: -open (a rule or peer admits
// everything), -flow (a peer may match pods outside the declared flow), -external (an ipBlock
// reaches beyond the approved CIDRs).
import type { PortSpec, Stage, StagewallConfig } from '../../config/model.js';
import { rangesWithin, someCidrs, subtract, type IpRange } from '../../shared/cidr.js';
import { ALL_PORTS, formatPorts, isEmpty, portSetOfSpecs, subtract as subtractPorts, unionAll, type PortSet } from '../../shared/ports.js';
import { representativePod, servedPorts } from '../flow.js';
import { rulePorts, type IpEndpoint, type PodEndpoint } from '../reachability.js';
import { formatSelector } from '../format.js';
import { describeAllowed, describeTarget, targetAllowed, type Target } from '../peers.js';
import type { CompiledPeer, CompiledRule, Direction } from '../policies.js';
import { defineRule, type Finding } from '../rule.js';
import type { PeerAnalysis, PolicySubject } from '../subjects.js';

function where(subject: PolicySubject, direction: Direction, entry: PeerAnalysis): string {
  const peer = entry.peerNumber === undefined ? '' : `, peer ${entry.peerNumber}`;
  return `${subject.display}: ${direction} rule ${entry.ruleNumber}${peer}`;
}

function describePeer(subject: PolicySubject, direction: Direction, entry: PeerAnalysis): string {
  const rules = direction === 'ingress' ? subject.policy.ingressRules : subject.policy.egressRules;
  const peer: CompiledPeer | undefined = entry.peerNumber === undefined ? undefined : rules[entry.ruleNumber - 1]?.peers[entry.peerNumber - 1];
  if (!peer) return '';
  const parts: string[] = [];
  if (peer.raw.namespaceSelector) parts.push(`namespaceSelector ${formatSelector(peer.raw.namespaceSelector)}`);
  if (peer.raw.podSelector) parts.push(`podSelector ${formatSelector(peer.raw.podSelector)}`);
  if (peer.raw.ipBlock) parts.push(`ipBlock ${peer.raw.ipBlock.cidr}`);
  return ` (${parts.join(' ')})`;
}

/** Rules in a direction the policy's effective policyTypes leave out are ignored by Kubernetes. */
function judged(subject: PolicySubject, direction: Direction): boolean {
  return subject.selectedStages.length > 0 && (direction === 'ingress' ? subject.policy.ingress : subject.policy.egress);
}

const verbs = {
  ingress: { admit: 'admits every source', receive: 'receives from', peers: 'sources' },
  egress: { admit: 'allows every destination', receive: 'sends to', peers: 'destinations' },
} as const;

function openRule(direction: Direction) {
  return defineRule({
    id: `${direction}-open`,
    severity: 'deny',
    appliesTo: 'NetworkPolicy',
    description: `An ${direction} rule of a policy selecting pipeline pods must not admit every peer (no peers, namespaceSelector {} alone, or a /0 ipBlock).`,
    subject: 'policy',
    *check(subject) {
      if (!judged(subject, direction)) return;
      for (const entry of subject.analysis(direction)) {
        if (!entry.open) continue;
        const stages = subject.selectedStages.map((s) => s.id).join(', ');
        yield {
          message:
            `${where(subject, direction, entry)}${describePeer(subject, direction, entry)} ${verbs[direction].admit}: ${entry.open}; it selects stage ${stages}. ` +
            `Fix: list only the allowed ${verbs[direction].peers} (${subject.selectedStages.map((s) => `${s.id}: ${describeAllowed(s, direction)}`).join('; ')}).`,
        };
      }
    },
  });
}

/**
 * A pod of `stage` as a rule's destination: the stage's declared named ports, plus any other name
 * the rule lists. Real pods may well have a container port of that name (its number unknown here),
 * so a named port the stage does not declare counts as opened, not as nothing.
 */
function podOf(stage: Stage, namespace: string, rule: CompiledRule, config: StagewallConfig): PodEndpoint {
  const pod = representativePod(stage, namespace, config);
  const named = rule.ports.filter((p) => typeof p.port === 'string').map((p) => ({ name: p.port as string, protocol: p.protocol ?? 'TCP' }));
  return { ...pod, containerPorts: [...(pod.containerPorts ?? []), ...named] };
}

/**
 * Ports a rule opens beyond the declared flow: traffic into a stage that declares `ports` is
 * limited to them, whoever sends it (ingress of that stage, egress of its sources). Per rule, for
 * the peers inside the flow (those outside it are the peer check's finding), as the policy writes
 * them: a number is not a name. Stages that declare no ports take any port.
 */
function portProblems(subject: PolicySubject, direction: Direction, rule: CompiledRule, targets: readonly Target[], config: StagewallConfig): string[] {
  const problems: string[] = [];
  const exceeds = (destination: Stage, namespace: string, what: (extra: string, served: string) => string) => {
    const served = servedPorts(destination);
    if (!served) return;
    const extra = subtractPorts(rulePorts(rule, podOf(destination, namespace, rule, config), true), served);
    if (isEmpty(extra)) return;
    problems.push(what(rule.ports.length === 0 ? 'any port (it lists no ports)' : formatPorts(extra).join(', '), formatPorts(served).join(', ')));
  };
  for (const stage of subject.selectedStages) {
    const inFlow = targets.filter((t) => t.kind !== 'external' && targetAllowed(t, stage, direction, config));
    if (inFlow.length === 0) continue;
    if (direction === 'ingress') {
      exceeds(stage, subject.policy.namespace, (extra, served) => `stage ${stage.id} serves ${served}, but the rule also admits ${extra}`);
      continue;
    }
    const seen = new Set<string>();
    for (const target of inFlow) {
      if (target.kind !== 'stage' || seen.has(target.stage.id)) continue;
      seen.add(target.stage.id);
      exceeds(target.stage, target.namespace ?? '', (extra, served) => `stage ${target.stage.id} serves ${served}, but the rule also opens ${extra} towards it from stage ${stage.id}`);
    }
  }
  return problems;
}

/**
 * The analysis entries grouped by rule, in rule order. They come in rule order already, so one
 * pass groups them: filtering all entries once per rule was rules × entries.
 */
function* byRule(analysis: readonly PeerAnalysis[]): Iterable<{ ruleNumber: number; entries: PeerAnalysis[] }> {
  let group: { ruleNumber: number; entries: PeerAnalysis[] } | undefined;
  for (const entry of analysis) {
    if (group && group.ruleNumber === entry.ruleNumber) {
      group.entries.push(entry);
      continue;
    }
    if (group) yield group;
    group = { ruleNumber: entry.ruleNumber, entries: [entry] };
  }
  if (group) yield group;
}

/**
 * One finding per rule (1-based) that `problemsOf` has something to say about, given the rule and
 * everything its peers may match. A rule that admits every peer is the -open rule's finding.
 */
function* portFindings(
  subject: PolicySubject,
  direction: Direction,
  problemsOf: (rule: CompiledRule, targets: readonly Target[]) => string[],
  message: (ruleNumber: number, problems: string) => string,
): Iterable<Finding> {
  const rules = direction === 'ingress' ? subject.policy.ingressRules : subject.policy.egressRules;
  for (const { ruleNumber, entries } of byRule(subject.analysis(direction))) {
    const rule = rules[ruleNumber - 1];
    if (!rule || entries.some((e) => e.open)) continue;
    const problems = problemsOf(rule, entries.flatMap((e) => e.targets));
    if (problems.length > 0) yield { message: message(ruleNumber, problems.join('; ')) };
  }
}

function flowRule(direction: Direction) {
  return defineRule({
    id: `${direction}-flow`,
    severity: 'deny',
    appliesTo: 'NetworkPolicy',
    description:
      direction === 'ingress'
        ? 'An ingress peer may only match stages, pipelines or namespaces the selected stage receives from, and only on the ports the stage declares.'
        : "An egress peer may only match the selected stage's egressTo stages and egressNamespaces, and a stage only on the ports it declares.",
    subject: 'policy',
    *check(subject, { config }) {
      if (!judged(subject, direction)) return;
      for (const entry of subject.analysis(direction)) {
        if (entry.open) continue;
        const problems: string[] = [];
        for (const stage of subject.selectedStages) {
          const outside = entry.targets.filter((t) => t.kind !== 'external' && !targetAllowed(t, stage, direction, config));
          if (outside.length === 0) continue;
          problems.push(
            `stage ${stage.id} ${verbs[direction].receive} ${describeAllowed(stage, direction)}, but the peer may match ${outside.map(describeTarget).join(', ')}`,
          );
        }
        if (problems.length === 0) continue;
        yield {
          message:
            `${where(subject, direction, entry)}${describePeer(subject, direction, entry)} is outside the declared flow: ${problems.join('; ')}. ` +
            'Fix: narrow the peer to the allowed ones (select namespaces by kubernetes.io/metadata.name or the pipeline label, and pods by the stage label), or declare the flow in the stagewall config.',
        };
      }
      yield* portFindings(
        subject,
        direction,
        (rule, targets) => portProblems(subject, direction, rule, targets, config),
        (n, problems) =>
          `${subject.display}: ${direction} rule ${n} opens ports outside the declared flow: ${problems}. ` +
          "Fix: list only the declared ports in the rule's ports (stagewall generate writes them), or declare the ports in the stagewall config.",
      );
    },
  });
}

/** An address outside the pods, as a destination: named ports open nothing there. */
const AN_ADDRESS: IpEndpoint = { ip: '0.0.0.0' };
const within = (inner: IpRange, outer: IpRange) => inner.family === outer.family && outer.start <= inner.start && inner.end <= outer.end;
const sameRange = (a: IpRange, b: IpRange) => a.family === b.family && a.start === b.start && a.end === b.end;
/** `ranges` ∩ `range`. */
const clip = (ranges: readonly IpRange[], range: IpRange) => subtract(ranges, subtract(ranges, [range]));

/**
 * Ports a rule opens to or from approved external CIDRs beyond the ports approved for them. An
 * address may use the ports of every entry that contains it (CIDRs nest or are disjoint); an
 * entry without ports approves every port, on ingress the stage's declared ones (as `generate`
 * writes them). Addresses outside every entry are the CIDR check's finding.
 */
function externalPortProblems(subject: PolicySubject, direction: Direction, rule: CompiledRule, allTargets: readonly Target[], config: StagewallConfig): string[] {
  const targets = allTargets.filter((t): t is Extract<Target, { kind: 'external' }> => t.kind === 'external');
  if (targets.length === 0) return [];
  const problems: string[] = [];
  for (const stage of subject.selectedStages) {
    const approved = direction === 'ingress' ? stage.ingressExternal : stage.egressExternal;
    const portsOf = (ports: readonly PortSpec[]): PortSet =>
      ports.length > 0 ? portSetOfSpecs(ports) : direction === 'ingress' ? (servedPorts(stage) ?? ALL_PORTS) : ALL_PORTS;
    // On ingress the stage's pods are the destination (named ports are theirs); an address has none.
    const opened = rulePorts(rule, direction === 'ingress' ? podOf(stage, subject.policy.namespace, rule, config) : AN_ADDRESS, true);
    for (const target of targets) {
      for (const entry of approved) {
        const range: IpRange = entry.cidr;
        const nested = approved.filter((e) => within(e.cidr, range) && !sameRange(e.cidr, range)).map((e) => e.cidr as IpRange);
        const part = subtract(clip(target.ranges, range), nested);
        if (part.length === 0) continue;
        const allowed = unionAll(approved.filter((e) => within(range, e.cidr)).map((e) => portsOf(e.ports)));
        const extra = subtractPorts(opened, allowed);
        if (isEmpty(extra)) continue;
        const shown = rule.ports.length === 0 ? 'any port (it lists no ports)' : formatPorts(extra).join(', ');
        problems.push(`${target.text} opens ${shown} for ${someCidrs(part, 3).shown.join(', ')}, where stage ${stage.id} approves ${formatPorts(allowed).join(', ')} (${entry.cidr.text})`);
      }
    }
  }
  return problems;
}

function externalRule(direction: Direction) {
  return defineRule({
    id: `${direction}-external`,
    severity: 'deny',
    appliesTo: 'NetworkPolicy',
    description: `An ipBlock (after except) must lie inside the selected stage's approved ${direction}External CIDRs, and open only their ports.`,
    subject: 'policy',
    *check(subject, { config }) {
      if (!judged(subject, direction)) return;
      for (const entry of subject.analysis(direction)) {
        if (entry.open) continue;
        const problems: string[] = [];
        for (const target of entry.targets) {
          if (target.kind !== 'external') continue;
          for (const stage of subject.selectedStages) {
            const approved = (direction === 'ingress' ? stage.ingressExternal : stage.egressExternal).map((e) => e.cidr);
            if (rangesWithin(target.ranges, approved)) continue;
            const outside = someCidrs(subtract(target.ranges, approved), 3);
            const shown = outside.shown.join(', ') + (outside.count > 3 ? `, … (${outside.count} CIDRs)` : '');
            problems.push(
              `${target.text} reaches ${shown}, outside the approved ${direction}External of stage ${stage.id} (${approved.map((c) => c.text).join(', ') || 'none'})`,
            );
          }
        }
        if (problems.length === 0) continue;
        yield {
          message: `${where(subject, direction, entry)}: ${problems.join('; ')}. Fix: narrow the ipBlock (or add except entries), or approve the CIDR in ${direction}External of the stage.`,
        };
      }
      yield* portFindings(
        subject,
        direction,
        (rule, targets) => externalPortProblems(subject, direction, rule, targets, config),
        (n, problems) =>
          `${subject.display}: ${direction} rule ${n} opens ports the approved ${direction}External entries do not: ${problems}. ` +
          `Fix: list only the approved ports in the rule's ports, or add them to the entry's ports in ${direction}External.`,
      );
    },
  });
}

export const ingressOpen = openRule('ingress');
export const egressOpen = openRule('egress');
export const ingressFlow = flowRule('ingress');
export const egressFlow = flowRule('egress');
export const ingressExternal = externalRule('ingress');
export const egressExternal = externalRule('egress');
