import { ALLOW_DNS_NAME, DEFAULT_DENY_NAME, MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../../shared/names.js';
import { isManagedPolicy } from '../policies.js';
import { defineRule } from '../rule.js';

/**
 * Users that may always change managed policies besides stagewall itself: the namespace
 * controller and the garbage collector delete them when a namespace goes away, and blocking
 * them would leave the namespace stuck in Terminating.
 */
export const SYSTEM_POLICY_EDITORS: ReadonlySet<string> = new Set([
  'system:serviceaccount:kube-system:namespace-controller',
  'system:serviceaccount:kube-system:generic-garbage-collector',
  // The controller manager itself, when it runs without per-controller credentials.
  'system:kube-controller-manager',
]);

const MANAGED_NAMES: ReadonlySet<string> = new Set([DEFAULT_DENY_NAME, ALLOW_DNS_NAME]);

export const managedPolicyProtected = defineRule({
  id: 'managed-policy-protected',
  severity: 'deny',
  appliesTo: 'NetworkPolicy UPDATE/DELETE',
  description: "A stagewall-managed policy may only be changed or removed by stagewall's own service account.",
  subject: 'policy-change',
  *check(subject, { config }) {
    // The label alone is not enough: anyone can put it on their own policy.
    if (!isManagedPolicy(subject.oldPolicy) || !MANAGED_NAMES.has(subject.oldPolicy.metadata?.name ?? '')) return;
    const user = subject.user?.username ?? '(unknown user)';
    if (user === config.serviceAccount || SYSTEM_POLICY_EDITORS.has(user)) return;
    const verb = subject.operation === 'DELETE' ? 'delete' : 'change';
    yield {
      message:
        `${subject.display} is managed by stagewall (label ${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}); ${user} may not ${verb} it. ` +
        'Fix: leave managed policies to stagewall, and add your own NetworkPolicy to allow more traffic.',
    };
  },
});
