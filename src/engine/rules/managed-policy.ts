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
]);

export const managedPolicyProtected = defineRule({
  id: 'managed-policy-protected',
  severity: 'deny',
  appliesTo: 'NetworkPolicy UPDATE/DELETE',
  description: "A stagewall-managed policy may only be changed or removed by stagewall's own service account.",
  subject: 'policy-change',
  *check(subject, { config }) {
    if (!isManagedPolicy(subject.oldPolicy)) return;
    const user = subject.user?.username ?? '(unknown user)';
    if (user === config.serviceAccount || SYSTEM_POLICY_EDITORS.has(user)) return;
    const verb = subject.operation === 'DELETE' ? 'delete' : 'change';
    yield {
      message:
        `${subject.display} is managed by stagewall (label app.kubernetes.io/managed-by=stagewall); ${user} may not ${verb} it. ` +
        'Fix: leave managed policies to stagewall, and add your own NetworkPolicy to allow more traffic.',
    };
  },
});
