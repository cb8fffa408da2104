// The shape of the fields the engine reads, checked once when a manifest is loaded. The API
// server guarantees these shapes in the webhook; a manifest on disk guarantees nothing, and a
// wrong shape must be a MANIFEST_SHAPE error naming file and field, not a crash in the engine.
// (A hand-made AdmissionReview guarantees nothing either: the admission handlers consult this
// when judging fails, off the hot path.)
// Checks chain with `??`, which is lazy: each runs only when the ones before it found nothing.
import { isRecord, type KubeObject } from './types.js';
import { templateMetadataPointer, WORKLOAD_KINDS } from './workloads.js';

type Problem = string | undefined;
type Fields = Record<string, unknown>;

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a mapping' : `${typeof value} ${JSON.stringify(value)}`;
}


function optionalMapping(value: unknown, path: string): Problem {
  return value === undefined || isRecord(value) ? undefined : `${path} must be a mapping, not ${kindOf(value)}`;
}

function requiredMapping(value: unknown, path: string): Problem {
  return isRecord(value) ? undefined : `${path} must be a mapping, not ${kindOf(value)}`;
}

function optionalList(value: unknown, path: string): Problem {
  return value === undefined || Array.isArray(value) ? undefined : `${path} must be a list, not ${kindOf(value)}`;
}

function optionalString(value: unknown, path: string): Problem {
  return value === undefined || typeof value === 'string' ? undefined : `${path} must be a string, not ${kindOf(value)}`;
}

function optionalBoolean(value: unknown, path: string): Problem {
  return value === undefined || typeof value === 'boolean' ? undefined : `${path} must be true or false, not ${kindOf(value)}`;
}

/** An optional list whose items all pass `check`. */
function listOf(value: unknown, path: string, check: (item: unknown, path: string) => Problem): Problem {
  const problem = optionalList(value, path);
  if (problem || value === undefined) return problem;
  const items = value as unknown[];
  for (let i = 0; i < items.length; i += 1) {
    const itemProblem = check(items[i], `${path}[${i}]`);
    if (itemProblem) return itemProblem;
  }
  return undefined;
}

function stringItem(value: unknown, path: string): Problem {
  return typeof value === 'string' ? undefined : `${path} must be a string, not ${kindOf(value)}`;
}

/** labels, annotations, matchLabels: a mapping of strings. */
function stringMap(value: unknown, path: string): Problem {
  const problem = optionalMapping(value, path);
  if (problem || value === undefined) return problem;
  for (const [k, v] of Object.entries(value as Fields)) {
    if (typeof v === 'string') continue;
    const hint = typeof v === 'number' || typeof v === 'boolean' ? ` (quote it: "${String(v)}")` : '';
    return `${path}.${k} must be a string, not ${kindOf(v)}${hint}`;
  }
  return undefined;
}

function metadata(value: unknown, path: string): Problem {
  const m = isRecord(value) ? value : {};
  return (
    optionalMapping(value, path) ??
    optionalString(m['name'], `${path}.name`) ??
    optionalString(m['generateName'], `${path}.generateName`) ??
    optionalString(m['namespace'], `${path}.namespace`) ??
    stringMap(m['labels'], `${path}.labels`) ??
    stringMap(m['annotations'], `${path}.annotations`)
  );
}

function requirement(value: unknown, path: string): Problem {
  const e = isRecord(value) ? value : {};
  return (
    requiredMapping(value, path) ??
    optionalString(e['key'], `${path}.key`) ??
    optionalString(e['operator'], `${path}.operator`) ??
    listOf(e['values'], `${path}.values`, stringItem)
  );
}

function selector(value: unknown, path: string): Problem {
  const s = isRecord(value) ? value : {};
  return (
    optionalMapping(value, path) ??
    stringMap(s['matchLabels'], `${path}.matchLabels`) ??
    listOf(s['matchExpressions'], `${path}.matchExpressions`, requirement)
  );
}

function ipBlock(value: unknown, path: string): Problem {
  if (value === undefined) return undefined;
  const b = isRecord(value) ? value : {};
  return requiredMapping(value, path) ?? stringItem(b['cidr'], `${path}.cidr`) ?? listOf(b['except'], `${path}.except`, stringItem);
}

function peer(value: unknown, path: string): Problem {
  const p = isRecord(value) ? value : {};
  return (
    requiredMapping(value, path) ??
    selector(p['podSelector'], `${path}.podSelector`) ??
    selector(p['namespaceSelector'], `${path}.namespaceSelector`) ??
    ipBlock(p['ipBlock'], `${path}.ipBlock`)
  );
}

function policyRule(peers: 'from' | 'to'): (value: unknown, path: string) => Problem {
  return (value, path) => {
    const r = isRecord(value) ? value : {};
    return requiredMapping(value, path) ?? listOf(r[peers], `${path}.${peers}`, peer) ?? optionalList(r['ports'], `${path}.ports`);
  };
}
const ingressRule = policyRule('from');
const egressRule = policyRule('to');

function policyType(value: unknown, path: string): Problem {
  return value === 'Ingress' || value === 'Egress' ? undefined : `${path} must be Ingress or Egress, not ${kindOf(value)}`;
}

function networkPolicySpec(value: unknown): Problem {
  const s = isRecord(value) ? value : {};
  return (
    optionalMapping(value, 'spec') ??
    selector(s['podSelector'], 'spec.podSelector') ??
    listOf(s['policyTypes'], 'spec.policyTypes', policyType) ??
    listOf(s['ingress'], 'spec.ingress', ingressRule) ??
    listOf(s['egress'], 'spec.egress', egressRule)
  );
}

/** The pod template's metadata and spec, with every mapping on the way there. */
function podTemplate(object: KubeObject): Problem {
  if (object.kind === 'Pod') {
    const spec = object['spec'];
    return optionalMapping(spec, 'spec') ?? optionalBoolean(isRecord(spec) ? spec['hostNetwork'] : undefined, 'spec.hostNetwork');
  }
  const steps = templateMetadataPointer(object.kind).slice(1).split('/').slice(0, -1); // up to the template
  let node: unknown = object;
  const path: string[] = [];
  for (const step of steps) {
    node = (node as Fields)[step];
    path.push(step);
    if (node === undefined) return undefined; // no template: the engine skips the object
    const problem = requiredMapping(node, path.join('.'));
    if (problem) return problem;
  }
  const template = node as Fields;
  const where = path.join('.');
  const spec = template['spec'];
  return (
    metadata(template['metadata'], `${where}.metadata`) ??
    optionalMapping(spec, `${where}.spec`) ??
    optionalBoolean(isRecord(spec) ? spec['hostNetwork'] : undefined, `${where}.spec.hostNetwork`)
  );
}

/** What is wrong with the shape of a judged object, or undefined when the engine can read it. */
export function shapeProblem(object: KubeObject): Problem {
  return (
    metadata(object.metadata, 'metadata') ??
    (object.kind === 'NetworkPolicy' ? networkPolicySpec(object['spec']) : undefined) ??
    (object.kind === 'Pod' || WORKLOAD_KINDS.has(object.kind ?? '') ? podTemplate(object) : undefined)
  );
}
