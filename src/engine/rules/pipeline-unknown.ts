import { joinList } from '../format.js';
import { defineRule } from '../rule.js';

export const pipelineUnknown = defineRule({
  id: 'pipeline-unknown',
  severity: 'deny',
  appliesTo: 'Namespace',
  description: 'The pipeline label of a namespace must name a pipeline declared in the config.',
  subject: 'namespace',
  *check(subject, { config }) {
    if (subject.pipelineName === undefined || config.pipelines.has(subject.pipelineName)) return;
    yield {
      message:
        `${subject.display} has ${config.labels.pipeline}=${subject.pipelineName}, which names no pipeline of the stagewall config. ` +
        `Fix: use one of ${joinList([...config.pipelines.keys()])}, or declare pipeline ${subject.pipelineName}.`,
    };
  },
});
