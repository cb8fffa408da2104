// Loading stagewall.yaml: YAML -> ajv schema check (every error with its path) -> defaults ->
// semantic checks -> the resolved model.
import { readFileSync } from 'node:fs';
import type { ErrorObject } from 'ajv';
import { parseDocument } from 'yaml';
import { StagewallError, isStagewallError } from '../errors.js';
import { parseCidr } from '../shared/cidr.js';
import { MANAGED_POLICIES, stagePolicyName } from '../shared/names.js';
import type { ExternalDocument, PortDocument, StagewallConfigDocument } from './schema.js';
import { validateConfigDocument as validateDocument } from './validate.generated.js';
import { stageId, type ExternalEndpoint, type Pipeline, type PortSpec, type Stage, type StagewallConfig } from './model.js';

// ajv's code for src/config/schema.ts, compiled ahead of time (src/config/codegen.ts): compiling it
// at start-up took longer than the rest of `check`.

function describeSchemaError(err: ErrorObject): string {
  switch (err.keyword) {
    case 'additionalProperties':
      return `unknown field "${String(err.params['additionalProperty'])}"`;
    case 'enum':
      return `must be one of ${(err.params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `must be ${JSON.stringify(err.params['allowedValue'])}`;
    default:
      return err.message ?? 'is invalid';
  }
}

const TYPE_NAMES: Record<string, string> = {
  integer: 'an integer',
  number: 'a number',
  string: 'a string',
  object: 'a mapping',
  array: 'a list',
  boolean: 'true or false',
  null: 'null',
};

/**
 * ajv's errors folded to what a person needs: an anyOf reports every branch (a bad port gave five
 * lines). A branch whose own type the value does not have is beside the point; of the others, the
 * errors are kept (recursively folded); when the value has the type of no branch, one line says
 * which types would do.
 */
function foldSchemaErrors(errors: readonly ErrorObject[]): { path: string; message: string }[] {
  // An error belongs to an anyOf by both paths: the same schema is checked at every list item.
  const inside = (e: ErrorObject, anyOf: ErrorObject) =>
    e !== anyOf &&
    e.schemaPath.startsWith(`${anyOf.schemaPath}/`) &&
    (e.instancePath === anyOf.instancePath || e.instancePath.startsWith(`${anyOf.instancePath}/`));
  const anyOfs = errors.filter((e) => e.keyword === 'anyOf');
  const outer = anyOfs.filter((a) => !anyOfs.some((b) => inside(a, b)));
  const lines: { path: string; message: string }[] = [];
  for (const e of errors) {
    if (outer.some((a) => inside(e, a))) continue;
    if (!outer.includes(e)) {
      // A missing field is a problem of that field, so each gets its own line.
      if (e.keyword === 'required') lines.push({ path: `${e.instancePath}/${String(e.params['missingProperty'])}`, message: 'is required' });
      else lines.push({ path: e.instancePath, message: describeSchemaError(e) });
      continue;
    }
    const branches = new Map<string, ErrorObject[]>();
    for (const b of errors.filter((x) => inside(x, e))) {
      const index = b.schemaPath.slice(e.schemaPath.length + 1).split('/')[0] ?? '';
      branches.set(index, [...(branches.get(index) ?? []), b]);
    }
    const mismatched = (index: string, list: ErrorObject[]) =>
      list.find((b) => b.keyword === 'type' && b.instancePath === e.instancePath && b.schemaPath === `${e.schemaPath}/${index}/type`);
    const relevant = [...branches].filter(([index, list]) => !mismatched(index, list));
    if (relevant.length > 0) {
      lines.push(...foldSchemaErrors(relevant.flatMap(([, list]) => list)));
    } else {
      const types = [...branches].map(([index, list]) => String(mismatched(index, list)?.params['type'] ?? '')).flatMap((t) => t.split(','));
      lines.push({ path: e.instancePath, message: `must be ${[...new Set(types)].map((t) => TYPE_NAMES[t] ?? t).join(' or ')}` });
    }
  }
  return lines;
}

/** One line per field: `/path: problem; other problem`. */
export function schemaErrorLines(errors: readonly ErrorObject[]): string[] {
  const byPath = new Map<string, string[]>();
  for (const { path, message } of foldSchemaErrors(errors)) {
    const messages = byPath.get(path) ?? [];
    if (!messages.includes(message)) messages.push(message);
    byPath.set(path, messages);
  }
  return [...byPath].map(([path, messages]) => `${path === '' ? '(top level)' : path}: ${messages.join('; ')}`);
}

/** Validates a decoded document and resolves it; `source` names it in errors. */
export function resolveConfig(raw: unknown, source = 'config'): StagewallConfig {
  const doc = structuredClone(raw);
  if (!validateDocument(doc)) {
    const errors = schemaErrorLines(validateDocument.errors ?? []);
    throw new StagewallError('CONFIG_SCHEMA', `${source}: invalid StagewallConfig (${errors.length} error${errors.length === 1 ? '' : 's'})`, errors);
  }
  return buildModel(doc, source);
}

/** Parses YAML (or JSON) text into a resolved config. */
export function parseConfig(text: string, source = 'config'): StagewallConfig {
  const parsed = parseDocument(text, { prettyErrors: true });
  if (parsed.errors.length > 0) {
    throw new StagewallError(
      'CONFIG_YAML',
      `${source}: not valid YAML`,
      // Each error with its snippet (the line and a caret under the column), indented under it.
      [...new Set(parsed.errors.map((e) => e.message.trimEnd().replace(/\n\n/, '\n').replace(/\n/g, '\n      ')))],
    );
  }
  return resolveConfig(parsed.toJS(), source);
}

export function loadConfigFile(path: string): StagewallConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new StagewallError('CONFIG_READ', `cannot read config ${path}: ${(err as Error).message}`);
  }
  return parseConfig(text, path);
}

function resolvePort(p: PortDocument | number): PortSpec {
  if (typeof p === 'number') return { port: p, protocol: 'TCP' };
  return { port: p.port, protocol: p.protocol ?? 'TCP', ...(p.endPort === undefined ? {} : { endPort: p.endPort }) };
}

/** Every declared stage id, with its pipeline and index; duplicate pipeline and stage names, and equal pipeline and stage labels, are problems. */
function declaredStages(doc: StagewallConfigDocument, problems: string[]): Map<string, { pipeline: string; index: number }> {
  const pipelineNames = new Set<string>();
  const declared = new Map<string, { pipeline: string; index: number }>();

  doc.pipelines.forEach((p, pi) => {
    if (pipelineNames.has(p.name)) problems.push(`/pipelines/${pi}/name: duplicate pipeline name "${p.name}"`);
    pipelineNames.add(p.name);
    p.stages.forEach((s, si) => {
      const id = stageId(p.name, s.name);
      if (declared.has(id)) problems.push(`/pipelines/${pi}/stages/${si}/name: duplicate stage "${s.name}" in pipeline "${p.name}"`);
      else declared.set(id, { pipeline: p.name, index: si });
    });
  });
  if (doc.labels.pipeline === doc.labels.stage) {
    problems.push(`/labels: the pipeline and stage labels must differ (both are "${doc.labels.stage}")`);
  }
  return declared;
}

// generate copies ports into NetworkPolicies: refuse what the API server would refuse there.
function portList(list: readonly (PortDocument | number)[] | undefined, path: string, problems: string[]): PortSpec[] {
  return (list ?? []).map((doc, i) => {
    const p = resolvePort(doc);
    if (p.endPort !== undefined && typeof p.port !== 'number') {
      problems.push(`${path}/${i}: endPort needs a numeric port, not the named port "${p.port}"`);
    } else if (p.endPort !== undefined && typeof p.port === 'number' && p.endPort < p.port) {
      problems.push(`${path}/${i}: endPort ${p.endPort} must not be below port ${p.port}`);
    }
    return p;
  });
}

function externals(list: readonly ExternalDocument[] | undefined, path: string, problems: string[]): ExternalEndpoint[] {
  return (list ?? []).flatMap((entry, i) => {
    const text = typeof entry === 'string' ? entry : entry.cidr;
    try {
      const ports = typeof entry === 'string' ? [] : portList(entry.ports, `${path}/${i}/ports`, problems);
      return [{ cidr: parseCidr(text), ports }];
    } catch (err) {
      if (!isStagewallError(err)) throw err;
      problems.push(`${path}/${i}: ${err.message}`);
      return [];
    }
  });
}

const edgeKey = (from: string, to: string) => `${from}>${to}`;

/**
 * The edges of the flow, as `from>to` keys. An explicit list on either end declares an edge; the
 * linear default applies only between neighbours where neither end spelled out its list. An
 * unknown stage reference is a problem.
 */
function declaredEdges(doc: StagewallConfigDocument, declared: ReadonlyMap<string, unknown>, problems: string[]): Set<string> {
  const refId = (pipeline: string, ref: string, path: string): string | undefined => {
    const id = ref.includes('/') ? ref : stageId(pipeline, ref);
    if (!declared.has(id)) {
      problems.push(`${path}: unknown stage "${ref}" (declared: ${[...declared.keys()].join(', ')})`);
      return undefined;
    }
    return id;
  };
  const edges = new Set<string>();
  doc.pipelines.forEach((p, pi) => {
    p.stages.forEach((s, si) => {
      const id = stageId(p.name, s.name);
      const path = `/pipelines/${pi}/stages/${si}`;
      (s.egressTo ?? []).forEach((ref, i) => {
        const to = refId(p.name, ref, `${path}/egressTo/${i}`);
        if (to) edges.add(edgeKey(id, to));
      });
      (s.ingressFrom ?? []).forEach((ref, i) => {
        const from = refId(p.name, ref, `${path}/ingressFrom/${i}`);
        if (from) edges.add(edgeKey(from, id));
      });
      const next = p.stages[si + 1];
      if (next && s.egressTo === undefined && next.ingressFrom === undefined) {
        edges.add(edgeKey(id, stageId(p.name, next.name)));
      }
    });
  });
  return edges;
}

/** Adjacency in one pass over the edges (a scan per stage was quadratic in large configs). */
function adjacency(edges: ReadonlySet<string>): { incoming: Map<string, Set<string>>; outgoing: Map<string, Set<string>> } {
  const incoming = new Map<string, Set<string>>();
  const outgoing = new Map<string, Set<string>>();
  for (const key of edges) {
    const [from = '', to = ''] = key.split('>');
    if (!incoming.has(to)) incoming.set(to, new Set());
    if (!outgoing.has(from)) outgoing.set(from, new Set());
    incoming.get(to)?.add(from);
    outgoing.get(from)?.add(to);
  }
  return { incoming, outgoing };
}

/** The resolved stages and pipelines; the first of duplicates wins (they are problems already). */
function resolveStages(
  doc: StagewallConfigDocument,
  { incoming, outgoing }: ReturnType<typeof adjacency>,
  problems: string[],
): { stages: Map<string, Stage>; pipelines: Map<string, Pipeline> } {
  const stages = new Map<string, Stage>();
  const pipelines = new Map<string, Pipeline>();
  doc.pipelines.forEach((p, pi) => {
    const own: Stage[] = p.stages.map((s, si) => {
      const id = stageId(p.name, s.name);
      const path = `/pipelines/${pi}/stages/${si}`;
      const ingressFrom = incoming.get(id) ?? new Set<string>();
      const egressTo = outgoing.get(id) ?? new Set<string>();
      const stage: Stage = {
        id,
        pipeline: p.name,
        name: s.name,
        index: si,
        namespace: s.namespace ?? p.namespace ?? p.name,
        ingressFrom,
        egressTo,
        ingressNamespaces: new Set(s.ingressNamespaces ?? []),
        egressNamespaces: new Set(s.egressNamespaces ?? []),
        ingressExternal: externals(s.ingressExternal, `${path}/ingressExternal`, problems),
        egressExternal: externals(s.egressExternal, `${path}/egressExternal`, problems),
        ports: portList(s.ports, `${path}/ports`, problems),
      };
      if (!stages.has(id)) stages.set(id, stage);
      return stage;
    });
    const byName = new Map(own.map((s) => [s.name, s]));
    if (!pipelines.has(p.name)) {
      pipelines.set(p.name, { name: p.name, mode: p.mode ?? doc.mode, stages: own, stage: (name) => byName.get(name) });
    }
  });
  return { stages, pipelines };
}

/** The problems generate would meet writing policies for the resolved stages. */
function checkGeneratable(doc: StagewallConfigDocument, stages: ReadonlyMap<string, Stage>, problems: string[]): void {
  // What generate would emit must pass check: no open external CIDR, no pipeline namespace named
  // as a plain namespace, and one policy name per stage.
  const stageNamespaces = new Set([...stages.values()].map((st) => st.namespace));
  const policyNames = new Map<string, string>(MANAGED_POLICIES);
  doc.pipelines.forEach((p, pi) =>
    p.stages.forEach((st, si) => {
      const path = `/pipelines/${pi}/stages/${si}`;
      const stage = stages.get(stageId(p.name, st.name));
      if (!stage) return;
      for (const [field, list] of [
        ['ingressExternal', stage.ingressExternal],
        ['egressExternal', stage.egressExternal],
      ] as const) {
        for (const e of list) {
          if (e.cidr.prefix === 0)
            problems.push(
              `${path}/${field}: ${e.cidr.text} is every address, which ${field === 'ingressExternal' ? 'ingress' : 'egress'}-open refuses; approve the CIDRs the stage needs`,
            );
        }
      }
      for (const field of ['ingressNamespaces', 'egressNamespaces'] as const) {
        for (const ns of st[field] ?? []) {
          if (stageNamespaces.has(ns))
            problems.push(
              `${path}/${field}: ${ns} is a pipeline namespace; name its stages in ${field === 'ingressNamespaces' ? 'ingressFrom' : 'egressTo'} instead`,
            );
        }
      }
      const name = stagePolicyName({ pipeline: p.name, name: st.name });
      const taken = policyNames.get(name);
      if (taken === `stage ${p.name}/${st.name}`) return; // a duplicate stage, reported above
      if (taken) problems.push(`${path}/name: its generated policy ${name} would collide with ${taken}; rename the stage or the pipeline`);
      else policyNames.set(name, `stage ${p.name}/${st.name}`);
    }),
  );
}

function buildModel(doc: StagewallConfigDocument, source: string): StagewallConfig {
  const problems: string[] = [];
  const declared = declaredStages(doc, problems);
  const edges = declaredEdges(doc, declared, problems);
  const { stages, pipelines } = resolveStages(doc, adjacency(edges), problems);
  checkGeneratable(doc, stages, problems);
  if (problems.length > 0) {
    throw new StagewallError(
      'CONFIG_SEMANTIC',
      `${source}: inconsistent StagewallConfig (${problems.length} problem${problems.length === 1 ? '' : 's'})`,
      problems,
    );
  }
  return {
    mode: doc.mode,
    labels: doc.labels,
    exemptNamespaces: new Set(doc.exemptNamespaces),
    serviceAccount: doc.serviceAccount,
    defaultDeny: doc.defaultDeny,
    workloadCoverage: doc.workloadCoverage,
    pipelines,
    stages,
    document: doc,
  };
}
