// Reading manifests for the CLI and the static view: files, folders (recursive), stdin,
// multi-document YAML, JSON and List. Each object keeps its file and line for reports.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CORE_SCHEMA, load, Type, type YAMLException } from 'js-yaml';
import { LineCounter, parseDocument, isMap, isSeq, type Node } from 'yaml';
import { isStagewallError, StagewallError } from '../errors.js';
import { checkStructure, isRecord, type KubeObject, shapeProblem } from '../engine/index.js';
import { classifyKind } from './kinds.js';

export interface SourcePosition {
  readonly file: string;
  readonly line: number;
}

export interface LoadedObject {
  readonly object: KubeObject;
  readonly source: SourcePosition;
  /** False for built-in kinds stagewall does not judge (Service, ConfigMap…). */
  readonly judged: boolean;
  /** An unknown apiVersion/kind let through by ignoreUnknown (never judged). */
  readonly unknown?: boolean;
}

export interface LoadOptions {
  /** Accept unknown apiVersion/kind pairs (e.g. custom resources) instead of failing. */
  readonly ignoreUnknown?: boolean;
}

const MANIFEST_EXTENSIONS = /\.(ya?ml|json)$/i;

/**
 * YAML as kubectl reads it (sigs.k8s.io/yaml, on go-yaml): anchors, aliases and merge keys
 * (`<<: *common`, `<<: [*a, *b]`; keys of the mapping itself win, then earlier sources). Scalars
 * stay YAML 1.2's core schema, as before: `yes` and `on` are strings (go-yaml v3 reads them so
 * into untyped values; v2, in older kubectl, read them as booleans: see the README).
 */
const MERGE = new Type('tag:yaml.org,2002:merge', { kind: 'scalar', resolve: (data: unknown) => data === '<<' || data === null });
const MERGE_SCHEMA = CORE_SCHEMA.extend({ implicit: [MERGE] });

function classify(value: unknown, source: SourcePosition, options: LoadOptions): LoadedObject | undefined {
  const at = `${source.file}:${source.line}`;
  if (!isRecord(value)) {
    throw new StagewallError(
      'MANIFEST_SHAPE',
      `${at}: the document is ${Array.isArray(value) ? 'a list' : `${typeof value} ${JSON.stringify(value)}`}: a manifest must be a mapping with apiVersion and kind`,
    );
  }
  try {
    checkStructure(value, 'object');
  } catch (err) {
    if (isStagewallError(err)) throw new StagewallError(err.code, `${at}: ${err.message}`);
    throw err;
  }
  const { apiVersion, kind } = value;
  // Every message names the object (kind namespace/name, as far as the document says) and the field.
  const object = `${typeof kind === 'string' && kind !== '' ? kind : 'object'} ${describeName(value)}`;
  for (const [field, v] of [
    ['apiVersion', apiVersion],
    ['kind', kind],
  ] as const) {
    if (typeof v !== 'string' || v === '')
      throw new StagewallError('MANIFEST_KIND', `${at}: ${object}: ${field} is ${v === undefined ? 'missing' : `not a name (${JSON.stringify(v)})`}`);
  }
  if (value['metadata'] !== undefined && !isRecord(value['metadata'])) {
    throw new StagewallError(
      'MANIFEST_SHAPE',
      `${at}: ${object}: metadata must be a mapping, not ${Array.isArray(value['metadata']) ? 'a list' : JSON.stringify(value['metadata'])}`,
    );
  }
  const status = classifyKind(apiVersion as string, kind as string);
  if (status.status === 'unknown') {
    if (options.ignoreUnknown) return { object: value as KubeObject, source, judged: false, unknown: true };
    throw new StagewallError('MANIFEST_KIND', `${at}: ${object}: ${status.why} (pass --ignore-unknown to skip custom resources)`);
  }
  if (status.status === 'judged') {
    const problem = shapeProblem(value as KubeObject);
    if (problem) throw new StagewallError('MANIFEST_SHAPE', `${at}: ${object}: ${problem}`);
  }
  return { object: value as KubeObject, source, judged: status.status === 'judged' };
}

function describeName(object: Record<string, unknown>): string {
  const meta = isRecord(object['metadata']) ? object['metadata'] : {};
  const name = typeof meta['name'] === 'string' ? meta['name'] : '(unnamed)';
  return typeof meta['namespace'] === 'string' ? `${meta['namespace']}/${name}` : name;
}

interface DocumentChunk {
  readonly text: string;
  /** 1-based line of the chunk's first line in the file. */
  readonly firstLine: number;
  /** 1-based line where the document's content starts (after markers, blanks and comments). */
  readonly contentLine: number;
}

const DOCUMENT_MARKER = /^(---|\.\.\.)(?=$|[ \t\r])/;
const BLANK_OR_COMMENT = /^\s*(#.*)?\r?$/;

/**
 * Splits a YAML stream into its documents at `---` / `...` lines. Documents are then parsed one by
 * one with js-yaml, which is an order of magnitude faster than a full CST parse; the split also
 * gives each document its line without a line counter.
 */
function splitDocuments(text: string): DocumentChunk[] {
  const chunks: DocumentChunk[] = [];
  const lines = text.split('\n');
  let start = 0;
  const flush = (end: number) => {
    if (end <= start) return;
    let content = start;
    while (content < end) {
      const line = lines[content] ?? '';
      const marker = DOCUMENT_MARKER.exec(line);
      if (marker && !BLANK_OR_COMMENT.test(line.slice(3))) break; // "--- {inline: doc}"
      if (!marker && !BLANK_OR_COMMENT.test(line) && !line.startsWith('%')) break;
      content += 1;
    }
    if (content < end) chunks.push({ text: lines.slice(start, end).join('\n'), firstLine: start + 1, contentLine: content + 1 });
  };
  for (let i = 0; i < lines.length; i += 1) {
    if (i > start && DOCUMENT_MARKER.test(lines[i] ?? '')) {
      flush(i);
      start = i;
    }
  }
  flush(lines.length);
  return chunks;
}

function yamlError(file: string, chunk: DocumentChunk, err: unknown): StagewallError {
  const e = err as YAMLException;
  const line = chunk.firstLine + (e.mark?.line ?? 0);
  const reason = (e.reason ?? e.message ?? String(err)).replace('duplicated mapping key', 'duplicated mapping key (keys must be unique)');
  return new StagewallError('MANIFEST_YAML', `${file}:${line}: not valid YAML or JSON: ${reason}`);
}

/** Item lines of a List document; rare, so the slower parser with positions is fine here. */
function listItemLines(chunk: DocumentChunk): number[] {
  const counter = new LineCounter();
  const doc = parseDocument(chunk.text, { lineCounter: counter });
  const itemsNode = isMap(doc.contents) ? doc.contents.get('items', true) : undefined;
  const itemNodes = isSeq(itemsNode) ? itemsNode.items : [];
  return itemNodes.map((node) => {
    const offset = (node as Node | undefined)?.range?.[0];
    return offset === undefined ? chunk.contentLine : chunk.firstLine - 1 + counter.linePos(offset).line;
  });
}

/**
 * Items of a typed list (`PodList`, `NamespaceList`…, as `kubectl get -o yaml` writes them) carry
 * no kind of their own: they take it from the list's name, and the list's apiVersion.
 */
function typedListItem(list: Record<string, unknown>): (item: unknown) => unknown {
  const kind = (list['kind'] as string).slice(0, -'List'.length);
  const apiVersion = list['apiVersion'];
  if (kind === '') return (item) => item;
  return (item) => {
    if (!isRecord(item)) return item;
    const missingKind = typeof item['kind'] !== 'string' || item['kind'] === '';
    const missingVersion = typeof item['apiVersion'] !== 'string' || item['apiVersion'] === '';
    if (!missingKind && !missingVersion) return item;
    return { ...item, ...(missingKind ? { kind } : {}), ...(missingVersion && typeof apiVersion === 'string' ? { apiVersion } : {}) };
  };
}

/** Parses the text of one file (or stdin) into objects; `List` objects are expanded. */
export function parseManifests(text: string, file: string, options: LoadOptions = {}): LoadedObject[] {
  const result: LoadedObject[] = [];
  for (const chunk of splitDocuments(text)) {
    let value: unknown;
    try {
      // The merge type costs every plain scalar a resolver call (12% of the load): only for documents that may hold one.
      value = load(chunk.text, { schema: chunk.text.includes('<<') ? MERGE_SCHEMA : CORE_SCHEMA, filename: file });
    } catch (err) {
      throw yamlError(file, chunk, err);
    }
    if (value === null || value === undefined) continue; // an empty document between ---
    if (isRecord(value) && typeof value['kind'] === 'string' && value['kind'].endsWith('List') && Array.isArray(value['items'])) {
      const lines = listItemLines(chunk);
      const typed = typedListItem(value);
      (value['items'] as unknown[]).forEach((item, i) => {
        const loaded = classify(typed(item), { file, line: lines[i] ?? chunk.contentLine }, options);
        if (loaded) result.push(loaded);
      });
      continue;
    }
    const loaded = classify(value, { file, line: chunk.contentLine }, options);
    if (loaded) result.push(loaded);
  }
  return result;
}

function listFiles(path: string): string[] {
  let stat;
  try {
    stat = statSync(path);
  } catch (err) {
    throw new StagewallError(
      'MANIFEST_READ',
      `cannot read ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`,
    );
  }
  if (!stat.isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const child = join(path, entry.name);
      if (entry.isDirectory()) return entry.name.startsWith('.') || entry.name === 'node_modules' ? [] : listFiles(child);
      return MANIFEST_EXTENSIONS.test(entry.name) ? [child] : [];
    });
}

/** Loads every manifest under the given paths; `-` reads `stdin`. */
export function loadManifests(paths: readonly string[], options: LoadOptions & { readonly stdin?: () => string } = {}): LoadedObject[] {
  const result: LoadedObject[] = [];
  for (const path of paths) {
    if (path === '-') {
      const text = options.stdin ? options.stdin() : readFileSync(0, 'utf8');
      result.push(...parseManifests(text, '<stdin>', options));
      continue;
    }
    const files = listFiles(path);
    if (files.length === 0) {
      // A wrong path in CI must not pass quietly as "0 objects, nothing denied".
      throw new StagewallError('MANIFEST_READ', `no manifests (.yaml, .yml, .json) under ${path}`);
    }
    for (const file of files) {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch (err) {
        throw new StagewallError('MANIFEST_READ', `cannot read ${file}: ${(err as Error).message}`);
      }
      const shown = relative(process.cwd(), file) || file;
      result.push(...parseManifests(text, shown.startsWith('..') ? file : shown, options));
    }
  }
  return result;
}
