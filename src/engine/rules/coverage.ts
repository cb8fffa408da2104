import { stringify } from 'yaml';
import type { StagewallConfig } from '../../config/model.js';
import { BoundedCache } from '../bounded-cache.js';
import { policyTypeOf } from '../direction.js';
import { managedPolicies, stagePolicy } from '../generate.js';
import { anyIsolates, type Direction } from '../policies.js';
import { defineRule, type RuleContext } from '../rule.js';
import type { PodSubject } from '../subjects.js';

function isCovered(subject: PodSubject, direction: Direction, { view }: RuleContext): boolean {
  return anyIsolates(view.policiesIn(subject.namespace.name), direction, subject.labels);
}

/**
 * Rendered snippets by config and (namespace, stage): YAML rendering costs far more than judging.
 * Only namespaces of the view reach here (a pod is judged only in a pipeline namespace the view
 * knows), and still each config's cache is bounded in entries and bytes.
 */
export const SNIPPET_CACHE_LIMITS = { maxEntries: 10_000, maxBytes: 16 * 2 ** 20 } as const;
const snippets = new WeakMap<StagewallConfig, BoundedCache<string, string>>();

/** The snippet cache of one config, for tests and metrics. */
export function snippetCache(config: StagewallConfig): BoundedCache<string, string> {
  let cache = snippets.get(config);
  if (!cache) {
    cache = new BoundedCache(SNIPPET_CACHE_LIMITS);
    snippets.set(config, cache);
  }
  return cache;
}

/** A ready-to-apply policy: the stage's own generated policy, or the default-deny when no stage is known. */
function snippet(subject: PodSubject, ctx: RuleContext): string {
  const cache = snippetCache(ctx.config);
  const key = `${subject.namespace.name}\u0000${subject.stage?.id ?? ''}`;
  let text = cache.get(key);
  if (text === undefined) {
    const policy = subject.stage
      ? stagePolicy(subject.stage, subject.namespace.name, ctx.config)
      : managedPolicies(subject.namespace.name, { ...ctx.config, defaultDeny: { enabled: true, allowDNS: false } })[0];
    text = stringify(policy, { lineWidth: 0 }).trimEnd();
    cache.set(key, text, 2 * (key.length + text.length) + 64);
  }
  return text;
}

function coverageRule(direction: Direction) {
  const Type = policyTypeOf(direction);
  return defineRule({
    id: `${direction}-uncovered`,
    severity: 'deny',
    appliesTo: 'Pod (deny), workload templates (per workloadCoverage)',
    description: `Some NetworkPolicy of the namespace must select the pod with ${Type} in its policyTypes.`,
    subject: 'pod',
    *check(subject, ctx) {
      if (isCovered(subject, direction, ctx)) return;
      yield {
        severity: subject.workload ? ctx.config.workloadCoverage : 'deny',
        message:
          `${subject.display} is not selected by any NetworkPolicy with policyTypes ${Type} in namespace ${subject.namespace.name}, so its ${direction} is unrestricted. ` +
          `Fix: apply a policy that selects it, for example:\n${snippet(subject, ctx)}`,
      };
    },
  });
}

export const ingressUncovered = coverageRule('ingress');
export const egressUncovered = coverageRule('egress');
