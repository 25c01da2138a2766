// The import graph of src/ (docs/architecture.md): arrows point inward only — no file-level loop,
// and each folder imports only the folders its row allows, so no adapter reaches sideways into
// another adapter. Reads the sources directly, independent of the lint configuration.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const srcDir = resolve(import.meta.dirname, '../../src');

/** Folder → folders it may import besides itself. `cli` is the composition root: anything. */
const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  core: [],
  config: ['core'],
  logging: ['core'],
  app: ['core'],
  metrics: ['core', 'app'],
  replay: ['core'],
  kube: ['core', 'app', 'config'],
  extender: ['core', 'app', 'metrics', 'logging'],
  webhook: ['core', 'app', 'metrics', 'logging'],
  server: ['core', 'extender', 'webhook', 'metrics'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Relative imports of a file (static, type-only and dynamic), resolved to .ts paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]!);
  return specs.map((spec) => resolve(dirname(file), spec).replace(/\.js$/, '.ts'));
}

const folderOf = (file: string): string => relative(srcDir, file).split('/')[0] ?? '';

const files = sourceFiles(srcDir);
const graph = new Map(files.map((f) => [f, importsOf(f)]));

/** Every cycle's files, found as strongly connected components of more than one file (Tarjan). */
function cycles(): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(relative(srcDir, w));
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
  };
  for (const file of files) if (!index.has(file)) visit(file);
  return found;
}

describe('the import graph of src/', () => {
  it('reads every source file and resolves every relative import to one', () => {
    expect(files.length).toBeGreaterThan(50);
    const unresolved = [...graph].flatMap(([file, deps]) =>
      deps.filter((d) => !graph.has(d)).map((d) => `${relative(srcDir, file)} → ${relative(srcDir, d)}`),
    );
    expect(unresolved).toEqual([]);
  });

  it('has no loop between files', () => {
    expect(cycles()).toEqual([]);
  });

  it('has no import against the layer rule (no adapter imports another sideways)', () => {
    const broken = [...graph].flatMap(([file, deps]) => {
      const from = folderOf(file);
      if (from === 'cli') return [];
      const allowed = ALLOWED[from];
      if (allowed === undefined) return [`${relative(srcDir, file)}: folder ${from} has no row`];
      return deps
        .filter((dep) => folderOf(dep) !== from && !allowed.includes(folderOf(dep)))
        .map((dep) => `${relative(srcDir, file)} → ${relative(srcDir, dep)}`);
    });
    expect(broken).toEqual([]);
  });

  it('would catch a loop: the detector finds one in a graph made to have it', () => {
    const [a, b] = files;
    graph.set(a!, [...(graph.get(a!) ?? []), b!]);
    graph.set(b!, [...(graph.get(b!) ?? []), a!]);
    try {
      expect(cycles().some((c) => c.includes(relative(srcDir, a!)) && c.includes(relative(srcDir, b!)))).toBe(
        true,
      );
    } finally {
      graph.set(a!, importsOf(a!));
      graph.set(b!, importsOf(b!));
    }
  });
});

describe('the harness and the benchmarks', () => {
  const repo = resolve(import.meta.dirname, '../..');
  const outside = ['testbed', 'benchmarks'].flatMap((dir) => sourceFiles(join(repo, dir)));

  it('import nothing from test/ (the test bed serves the tests, not the other way round)', () => {
    expect(outside.length).toBeGreaterThan(20);
    const intoTest = outside.flatMap((file) =>
      importsOf(file)
        .filter((dep) => relative(repo, dep).startsWith('test/'))
        .map((dep) => `${relative(repo, file)} → ${relative(repo, dep)}`),
    );
    expect(intoTest).toEqual([]);
  });
});
