import { defineRule } from '../rule.js';

export const pipelineLabelRemoved = defineRule({
  id: 'pipeline-label-removed',
  severity: 'deny',
  appliesTo: 'Namespace UPDATE',
  description: 'A pipeline namespace keeps its pipeline label: removing or changing it would switch stagewall off for everything in it.',
  subject: 'namespace',
  *check(subject, { config }) {
    const before = subject.previousPipelineName;
    // Only a label naming a declared pipeline is protected: to retire a namespace, first remove
    // its pipeline from the config (or set the pipeline's mode to off).
    if (before === undefined || before === subject.pipelineName || !config.pipelines.has(before)) return;
    if (subject.user?.username === config.serviceAccount) return;
    const change =
      subject.pipelineName === undefined
        ? `removes label ${config.labels.pipeline}=${before}`
        : `changes label ${config.labels.pipeline} from ${before} to ${subject.pipelineName}`;
    yield {
      message:
        `${subject.display}: the update ${change}, which would take the namespace and its pods out of pipeline ${before}'s policies. ` +
        `Fix: keep the label; to retire the namespace, remove pipeline ${before} from the stagewall config or set its mode to off first.`,
    };
  },
});
