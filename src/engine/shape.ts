// The shape of the fields the engine reads, checked once when a manifest is loaded. The API
// server guarantees these shapes in the webhook; a manifest on disk guarantees nothing, and a
// wrong shape must be a MANIFEST_SHAPE error naming file and field, not a crash in the engine.
// (A hand-made AdmissionReview guarantees nothing either: the admission handlers check the
// metadata up front, metadataProblem, which costs the size of the metadata and allocates nothing
// on a good object; the full shape only when judging fails, off the hot path.)
// Checks chain with `??`, which is lazy: each runs only when the ones before it found nothing.
import { isRecord, type KubeObject } from './types.js';
import { podTemplateOf, templateMetadataPointer, WORKLOAD_KINDS } from './workloads.js';

type Problem = string | undefined;
type Fields = Record<string, unknown>;

/** Field names and values quoted in a message are cut to this many characters: a hand-made
 * object may carry a key or a string of megabytes, and the message must stay small. */
export const MAX_QUOTED_LENGTH = 64;

function clipped(text: string): string {
  return text.length <= MAX_QUOTED_LENGTH ? text : `${text.slice(0, MAX_QUOTED_LENGTH - 1)}…`;
}

/** What a value is, for a message: `null`, `a list`, `a mapping`, `number 7`, `string "x"` (cut). */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `string ${clipped(JSON.stringify(value))}`;
  return typeof value === 'object' ? 'a mapping' : `${typeof value} ${clipped(String(value))}`;
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

/** labels, annotations, matchLabels at root + path + field: a mapping of strings. Runs on every
 * admission, so the path is only joined for a message and the loop is a for-in (Object.entries
 * would allocate). */
function stringMap(value: unknown, root: string, path: string, field: string): Problem {
  if (value === undefined) return undefined;
  if (!isRecord(value)) return `${root}${path}.${field} must be a mapping, not ${kindOf(value)}`;
  for (const k in value) {
    const v = value[k];
    if (typeof v === 'string') continue;
    const hint = typeof v === 'number' || typeof v === 'boolean' ? ` (quote it: "${clipped(String(v))}")` : '';
    return `${root}${path}.${field}.${clipped(k)} must be a string, not ${kindOf(v)}${hint}`;
  }
  return undefined;
}

const METADATA_STRINGS = ['name', 'generateName', 'namespace'] as const;

const isStringOrAbsent = (v: unknown): boolean => v === undefined || typeof v === 'string';

/** metadata at `root` + `field`: names and namespace strings, labels and annotations mappings of
 * strings. The path is two parts so that it is only joined for a message. */
function metadata(value: unknown, root: string, field: string): Problem {
  if (value === undefined) return undefined;
  if (!isRecord(value)) return `${root}${field} must be a mapping, not ${kindOf(value)}`;
  // Fixed property reads (a loop over the names would make each a keyed lookup).
  const name = value['name'];
  const generateName = value['generateName'];
  const namespace = value['namespace'];
  if (!(isStringOrAbsent(name) && isStringOrAbsent(generateName) && isStringOrAbsent(namespace))) {
    for (const key of METADATA_STRINGS) {
      const v = value[key];
      if (!isStringOrAbsent(v)) return `${root}${field}.${key} must be a string, not ${kindOf(v)}`;
    }
  }
  return stringMap(value['labels'], root, field, 'labels') ?? stringMap(value['annotations'], root, field, 'annotations');
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
    stringMap(s['matchLabels'], '', path, 'matchLabels') ??
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

function networkPolicySpec(value: unknown, root: string): Problem {
  const s = isRecord(value) ? value : {};
  return (
    optionalMapping(value, `${root}spec`) ??
    selector(s['podSelector'], `${root}spec.podSelector`) ??
    listOf(s['policyTypes'], `${root}spec.policyTypes`, policyType) ??
    listOf(s['ingress'], `${root}spec.ingress`, ingressRule) ??
    listOf(s['egress'], `${root}spec.egress`, egressRule)
  );
}

/** The fields from a workload down to its pod template (the template metadata pointer's steps). */
const TEMPLATE_STEPS: ReadonlyMap<string, readonly string[]> = new Map(
  [...WORKLOAD_KINDS].map((kind) => [kind, templateMetadataPointer(kind).slice(1).split('/').slice(0, -1)]),
);

/** The dotted path of each workload's template metadata, e.g. spec.template.metadata. */
const TEMPLATE_METADATA: ReadonlyMap<string, string> = new Map(
  [...WORKLOAD_KINDS].map((kind) => [kind, templateMetadataPointer(kind).slice(1).replaceAll('/', '.')]),
);

/** The first n steps as a dotted path: only ever built for a message. */
function stepsPath(root: string, steps: readonly string[], n: number): string {
  return root + steps.slice(0, n).join('.');
}

/** The pod template's metadata and spec, with every mapping on the way there. */
function podTemplate(object: KubeObject, root: string): Problem {
  if (object.kind === 'Pod') {
    const spec = object['spec'];
    if (spec === undefined) return undefined;
    if (!isRecord(spec)) return `${root}spec must be a mapping, not ${kindOf(spec)}`;
    const hostNetwork = spec['hostNetwork'];
    return hostNetwork === undefined || typeof hostNetwork === 'boolean'
      ? undefined
      : `${root}spec.hostNetwork must be true or false, not ${kindOf(hostNetwork)}`;
  }
  const steps = TEMPLATE_STEPS.get(object.kind ?? '') ?? [];
  // The engine's own reads find the template; only when they do not is the way there walked,
  // to tell a missing template (skipped by the engine) from a field that is not a mapping.
  const template = podTemplateOf(object) as Fields | undefined;
  if (template === undefined) {
    let node: unknown = object;
    for (let i = 0; i < steps.length; i += 1) {
      node = (node as Fields)[steps[i] as string];
      if (node === undefined) return undefined; // no template: the engine skips the object
      if (!isRecord(node)) return `${stepsPath(root, steps, i + 1)} must be a mapping, not ${kindOf(node)}`;
    }
    return undefined;
  }
  const problem = metadata(template['metadata'], root, TEMPLATE_METADATA.get(object.kind ?? '') ?? 'metadata');
  if (problem) return problem;
  const spec = template['spec'];
  if (spec === undefined) return undefined;
  if (!isRecord(spec)) return `${stepsPath(root, steps, steps.length)}.spec must be a mapping, not ${kindOf(spec)}`;
  const hostNetwork = spec['hostNetwork'];
  return hostNetwork === undefined || typeof hostNetwork === 'boolean'
    ? undefined
    : `${stepsPath(root, steps, steps.length)}.spec.hostNetwork must be true or false, not ${kindOf(hostNetwork)}`;
}

/**
 * What is wrong with an object's metadata (labels, annotations, names) and, for a Pod or a
 * workload, with the way to its pod template and that template's metadata: the fields every
 * admission reads. Costs the size of the metadata, so the webhook checks it up front. `root`
 * prefixes every path in the message (e.g. `request.object.`).
 */
export function metadataProblem(object: KubeObject, root = ''): Problem {
  const kind = object.kind;
  return metadata(object.metadata, root, 'metadata') ?? (kind === 'Pod' || WORKLOAD_KINDS.has(kind ?? '') ? podTemplate(object, root) : undefined);
}

/** What is wrong with the shape of a judged object, or undefined when the engine can read it. */
export function shapeProblem(object: KubeObject, root = ''): Problem {
  return metadataProblem(object, root) ?? (object.kind === 'NetworkPolicy' ? networkPolicySpec(object['spec'], root) : undefined);
}
