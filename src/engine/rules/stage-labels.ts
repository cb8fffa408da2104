import { joinList } from '../format.js';
import { defineRule } from '../rule.js';
import { DEFAULT_STAGE_ANNOTATION } from '../../shared/names.js';
import type { PodSubject } from '../subjects.js';

function stageNames(subject: PodSubject): string {
  return joinList(subject.pipeline.stages.map((s) => s.name));
}

export const stageLabelMissing = defineRule({
  id: 'stage-label-missing',
  severity: 'deny',
  appliesTo: 'Pod, workload templates',
  description: 'A pod in a pipeline namespace must carry the stage label, so stage policies can select it.',
  subject: 'pod',
  *check(subject, { config }) {
    if (subject.stageName !== undefined) return;
    yield {
      message:
        `${subject.display} has no label ${config.labels.stage} in pipeline namespace ${subject.namespace.name}, so no stage policy can select it. ` +
        `Fix: add label ${config.labels.stage}: <stage> with one of the stages of pipeline ${subject.pipeline.name} (${stageNames(subject)}), ` +
        `or annotate namespace ${subject.namespace.name} with ${DEFAULT_STAGE_ANNOTATION}.`,
    };
  },
});

export const stageUnknown = defineRule({
  id: 'stage-unknown',
  severity: 'deny',
  appliesTo: 'Pod, workload templates',
  description: "The stage label must name a stage of the namespace's pipeline.",
  subject: 'pod',
  *check(subject, { config }) {
    if (subject.stageName === undefined || subject.stage !== undefined) return;
    if (subject.stageFromNamespace) {
      // The pod has no stage label: the bad value is the namespace's default, so fix it there.
      yield {
        message:
          `${subject.display} has no label ${config.labels.stage}, and the ${DEFAULT_STAGE_ANNOTATION} annotation of namespace ${subject.namespace.name} gives it ${subject.stageName}, which is not a stage of pipeline ${subject.pipeline.name}. ` +
          `Fix: set the annotation to one of ${stageNames(subject)}, label the pod with its stage, or declare stage ${subject.stageName} in the stagewall config.`,
      };
      return;
    }
    yield {
      message:
        `${subject.display} has ${config.labels.stage}=${subject.stageName}, which is not a stage of pipeline ${subject.pipeline.name}. ` +
        `Fix: use one of ${stageNames(subject)}, or declare stage ${subject.stageName} in the stagewall config.`,
    };
  },
});

export const hostNetwork = defineRule({
  id: 'host-network',
  severity: 'deny',
  appliesTo: 'Pod, workload templates',
  description: 'Pipeline pods must not use hostNetwork: NetworkPolicy does not apply to them.',
  subject: 'pod',
  *check(subject) {
    if (!subject.hostNetwork) return;
    yield {
      message:
        `${subject.display} sets hostNetwork: true in pipeline namespace ${subject.namespace.name}; NetworkPolicies do not apply to host-network pods, so its stage would be unfenced. ` +
        'Fix: remove hostNetwork, or run the pod outside pipeline namespaces.',
    };
  },
});

export const pipelineLabelMismatch = defineRule({
  id: 'pipeline-label-mismatch',
  severity: 'deny',
  appliesTo: 'Pod UPDATE',
  description: "A pod's pipeline label must stay the namespace's pipeline: stage policies select pods by it.",
  subject: 'pod',
  *check(subject, { config }) {
    // On CREATE the mutation sets the label; only an UPDATE (no mutation) can change or drop it.
    const value = subject.labels[config.labels.pipeline];
    if (value === subject.pipeline.name) return;
    const now = value === undefined ? 'removes label ' + config.labels.pipeline : `sets ${config.labels.pipeline}=${value}`;
    yield {
      message:
        `${subject.display} ${now}, but namespace ${subject.namespace.name} belongs to pipeline ${subject.pipeline.name}; stage policies would no longer select it. ` +
        `Fix: keep ${config.labels.pipeline}: ${subject.pipeline.name} (stagewall sets it when the pod is created).`,
    };
  },
});
