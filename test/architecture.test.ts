// The folders of src/ form a DAG (STYLE.md, "one engine, two fronts"): shared leaves at the
// bottom, config above them, the engine above config, the fronts around the engine, the CLI on
// top. This reads every import of every src file (static `from '...'`, `import '...'` and dynamic
// `import('...')`) and checks each edge against the matrix below, so the shape cannot drift back.
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

/** src/errors.ts, src/defaults.ts, src/version.ts: leaves every folder may use. */
const ROOT = '(src)';

/**
 * Folder -> the folders it may import (its own always). A front reaches the engine only through
 * src/engine/index.ts (ENGINE_ENTRY below).
 */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  [ROOT]: [],
  shared: [ROOT],
  config: [ROOT, 'shared'],
  engine: [ROOT, 'shared', 'config'],
  admission: [ROOT, 'shared', 'config', 'engine'],
  manifests: [ROOT, 'shared', 'config', 'engine'],
  certs: [ROOT, 'shared'],
  cluster: [ROOT, 'shared', 'config', 'engine', 'certs'],
  server: [ROOT, 'shared', 'config', 'engine', 'admission', 'certs'],
  cli: [ROOT, 'shared', 'config', 'engine', 'admission', 'manifests', 'certs', 'cluster', 'server'],
};

/** The folders outside the engine that use it: each only through the entry. */
const FRONTS: ReadonlySet<string> = new Set(['admission', 'manifests', 'certs', 'cluster', 'server', 'cli']);
const ENGINE_ENTRY = 'src/engine/index.ts';

/**
 * Imports of engine modules other than the entry that a front may make, each with why. The CLI's
 * lazy imports go through the entry too (test/cli/import-graph.test.ts: `rules` still loads
 * dist/engine/rules/index.js, `check` dist/engine/evaluate.js, `--version` no engine at all, since
 * main.ts imports the engine only inside its commands), so none is needed today.
 */
const ENTRY_EXCEPTIONS: readonly { readonly from: string; readonly to: string; readonly why: string }[] = [];

export interface Edge {
  readonly from: string;
  readonly to: string;
}

const STATIC = /\b(?:from|import)\s*['"]([^'"]+)['"]/g;
const DYNAMIC = /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The relative specifiers a source text imports, static and dynamic, type-only included. */
export function importSpecifiers(text: string): string[] {
  const found: string[] = [];
  for (const pattern of [STATIC, DYNAMIC]) for (const m of text.matchAll(pattern)) if (m[1]?.startsWith('.')) found.push(m[1]);
  return found;
}

/** src/x/y.js as written in an import, to the src/x/y.ts file it names. */
function resolveImport(from: string, specifier: string): string {
  return normalize(join(dirname(from), specifier))
    .split('\\')
    .join('/')
    .replace(/\.js$/, '.ts');
}

export function folderOf(file: string): string {
  const parts = file.split('/');
  return parts.length > 2 ? (parts[1] as string) : ROOT;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

export function srcEdges(): Edge[] {
  return sourceFiles('src').flatMap((from) => importSpecifiers(readFileSync(from, 'utf8')).map((s) => ({ from, to: resolveImport(from, s) })));
}

/** Every edge that breaks the matrix or the engine-entry rule, as one line each. */
export function forbiddenEdges(edges: readonly Edge[]): string[] {
  const problems: string[] = [];
  for (const { from, to } of edges) {
    const a = folderOf(from);
    const b = folderOf(to);
    const allowed = ALLOWED[a];
    if (allowed === undefined) problems.push(`${from}: folder ${a} is not in the matrix`);
    else if (a !== b && !allowed.includes(b)) problems.push(`${from} -> ${to}: ${a} may not import ${b}`);
    else if (FRONTS.has(a) && b === 'engine' && to !== ENGINE_ENTRY && !ENTRY_EXCEPTIONS.some((e) => e.from === from && e.to === to)) {
      problems.push(`${from} -> ${to}: ${a} uses the engine through ${ENGINE_ENTRY}`);
    }
  }
  return problems;
}

describe('architecture: the folders of src/ import each other as the DAG allows', () => {
  const edges = srcEdges();

  it('every src import resolves to a src file (the parser reads what node loads)', () => {
    const missing = edges.filter((e) => !existsSync(e.to)).map((e) => `${e.from} -> ${e.to}`);
    assert.deepEqual(missing, []);
    // Static, type-only and dynamic imports are all seen: a few known edges of each sort.
    for (const [from, to] of [
      ['src/engine/evaluate.ts', 'src/engine/scope.ts'],
      ['src/cluster/reconciler.ts', 'src/shared/observability.ts'],
      ['src/cli/main.ts', 'src/config/load.ts'],
      ['src/cli/main.ts', 'src/engine/index.ts'],
    ] as const) {
      assert.ok(
        edges.some((e) => e.from === from && e.to === to),
        `${from} -> ${to} not found`,
      );
    }
  });

  it('no import breaks the matrix or goes around the engine entry', () => {
    assert.deepEqual(forbiddenEdges(edges), []);
  });

  it('every folder of src/ is in the matrix', () => {
    const folders = new Set(sourceFiles('src').map(folderOf));
    assert.deepEqual(
      [...folders].filter((f) => ALLOWED[f] === undefined),
      [],
    );
  });

  it('the entry exceptions are real imports (none stays listed once gone)', () => {
    for (const e of ENTRY_EXCEPTIONS)
      assert.ok(
        edges.some((x) => x.from === e.from && x.to === e.to),
        `${e.from} -> ${e.to}: ${e.why}`,
      );
  });

  describe('the checker flags a forbidden edge', () => {
    const rows: { name: string; from: string; to: string; flagged: RegExp | undefined }[] = [
      {
        name: 'config importing the engine (generate) is flagged',
        from: 'src/config/load.ts',
        to: 'src/engine/generate.ts',
        flagged: /config may not import engine/,
      },
      { name: 'the engine importing the server is flagged', from: 'src/engine/evaluate.ts', to: 'src/server/log.ts', flagged: /engine may not import server/ },
      {
        name: 'the engine importing a front (admission, manifests, cluster, cli) is flagged',
        from: 'src/engine/view.ts',
        to: 'src/manifests/view.ts',
        flagged: /engine may not import manifests/,
      },
      {
        name: 'cluster importing the server is flagged',
        from: 'src/cluster/reconciler.ts',
        to: 'src/server/metrics.ts',
        flagged: /cluster may not import server/,
      },
      { name: 'a shared leaf importing config is flagged', from: 'src/shared/names.ts', to: 'src/config/model.ts', flagged: /shared may not import config/ },
      { name: 'a top-level leaf importing a folder is flagged', from: 'src/errors.ts', to: 'src/shared/names.ts', flagged: /\(src\) may not import shared/ },
      {
        name: 'a front importing an engine module around the entry is flagged',
        from: 'src/cli/check.ts',
        to: 'src/engine/evaluate.ts',
        flagged: /cli uses the engine through src\/engine\/index.ts/,
      },
      {
        name: 'a new folder outside the matrix is flagged',
        from: 'src/plugins/x.ts',
        to: 'src/engine/index.ts',
        flagged: /folder plugins is not in the matrix/,
      },
      { name: 'a front through the entry is allowed', from: 'src/cli/check.ts', to: 'src/engine/index.ts', flagged: undefined },
      { name: 'inside the engine, modules import each other directly', from: 'src/engine/evaluate.ts', to: 'src/engine/scope.ts', flagged: undefined },
      { name: 'the engine may import config and shared', from: 'src/engine/peers.ts', to: 'src/shared/names.ts', flagged: undefined },
      { name: 'everyone may import the top-level leaves', from: 'src/shared/cidr.ts', to: 'src/errors.ts', flagged: undefined },
    ];
    for (const row of rows) {
      it(row.name, () => {
        const problems = forbiddenEdges([...edges, { from: row.from, to: row.to }]);
        if (row.flagged === undefined) assert.deepEqual(problems, []);
        else {
          assert.equal(problems.length, 1, problems.join('\n'));
          assert.match(problems[0] as string, row.flagged);
        }
      });
    }
  });

  it('the parser sees static, type-only, re-exported, side-effect and dynamic imports, and skips packages', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      "export { c } from './c.js';",
      "import './d.js';",
      "const e = await import('../e.js');",
      "type F = import('./f.js').F;",
      "import { pino } from 'pino';",
      "import { readFileSync } from 'node:fs';",
    ].join('\n');
    assert.deepEqual(importSpecifiers(text).sort(), ['../b.js', '../e.js', './a.js', './c.js', './d.js', './f.js']);
    assert.equal(relative('.', resolveImport('src/cli/main.ts', '../engine/index.js')), 'src/engine/index.ts');
  });
});
