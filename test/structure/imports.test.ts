import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/*
 * The import graph of src/ keeps the shape DESIGN.md gives it (the same rules as
 * tools/import-graph.py, without needing Python):
 * - no circle between files;
 * - lib/, db/, plugins/ and i18n/ import no feature (features hand their dictionaries and hooks
 *   over at startup, in features/index.ts);
 * - no two features import each other;
 * - a feature uses another only through its service or model, never its queries.ts or routes.ts.
 */

const ROOT = path.resolve(import.meta.dirname, '../..');
const SRC = path.join(ROOT, 'src');
const LOWER_LAYERS = new Set(['lib', 'db', 'plugins', 'i18n']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return name.endsWith('.ts') && !name.endsWith('.test.ts') ? [p] : [];
  });
}

/** Every relative import of a file: `import … from`, `export … from`, `import '…'` and `import('…')`. */
const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;

function buildGraph(): Map<string, Set<string>> {
  const files = sourceFiles(SRC);
  const known = new Set(files);
  const resolve = (from: string, spec: string): string | null => {
    if (!spec.startsWith('.')) return null;
    const base = path.resolve(path.dirname(from), spec);
    for (const candidate of [base, base.replace(/\.js$/, '.ts'), `${base}.ts`, path.join(base, 'index.ts')]) {
      if (known.has(candidate)) return candidate;
    }
    return null;
  };
  const graph = new Map<string, Set<string>>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const targets = new Set<string>();
    for (const m of text.matchAll(IMPORT)) {
      const target = resolve(file, m[1] ?? m[2]);
      if (target) targets.add(target);
    }
    graph.set(file, targets);
  }
  return graph;
}

const rel = (p: string) => path.relative(ROOT, p);
const layerOf = (p: string) => path.relative(SRC, p).split(path.sep)[0];
/** The feature a file belongs to (src/features/<feature>/…), or null (features/index.ts is none). */
function featureOf(p: string): string | null {
  const parts = path.relative(SRC, p).split(path.sep);
  return parts[0] === 'features' && parts.length > 2 ? parts[1] : null;
}

/** Groups of files that import each other, directly or through others (Tarjan). */
function circles(graph: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const group: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        group.push(w);
      } while (w !== v);
      if (group.length > 1 || graph.get(v)?.has(v)) found.push(group.map(rel).sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

function violations(graph: Map<string, Set<string>>): string[] {
  const out: string[] = [];
  for (const group of circles(graph)) out.push(`circle: ${group.join(', ')}`);
  const featureEdges = new Set<string>();
  for (const [from, targets] of graph) {
    for (const to of targets) {
      if (LOWER_LAYERS.has(layerOf(from)) && layerOf(to) === 'features') out.push(`upward: ${rel(from)} -> ${rel(to)}`);
      const a = featureOf(from);
      const b = featureOf(to);
      if (!a || !b || a === b) continue;
      featureEdges.add(`${a}->${b}`);
      const name = path.basename(to);
      if (name === 'queries.ts' || name === 'routes.ts') out.push(`another feature's ${name}: ${rel(from)} -> ${rel(to)}`);
    }
  }
  for (const edge of featureEdges) {
    const [a, b] = edge.split('->');
    if (a < b && featureEdges.has(`${b}->${a}`)) out.push(`both ways: ${a} <-> ${b}`);
  }
  return out.sort();
}

describe('the import graph of src/', () => {
  const graph = buildGraph();
  const found = violations(graph);

  it('is read from the sources (the parser sees the imports)', () => {
    expect(graph.size).toBeGreaterThan(100);
    const app = graph.get(path.join(SRC, 'app.ts'))!;
    expect([...app].map(rel)).toContain('src/features/index.ts');
    // A circle, an upward import, a pair and a queries import are each caught.
    const sample = new Map<string, Set<string>>([
      [path.join(SRC, 'lib/a.ts'), new Set([path.join(SRC, 'features/x/service.ts')])],
      [path.join(SRC, 'features/x/service.ts'), new Set([path.join(SRC, 'features/y/queries.ts')])],
      [path.join(SRC, 'features/y/queries.ts'), new Set([path.join(SRC, 'features/x/service.ts')])],
    ]);
    expect(violations(sample)).toEqual([
      "another feature's queries.ts: src/features/x/service.ts -> src/features/y/queries.ts",
      'both ways: x <-> y',
      'circle: src/features/x/service.ts, src/features/y/queries.ts',
      'upward: src/lib/a.ts -> src/features/x/service.ts',
    ]);
  });

  it('has no circle, no upward import, no feature pair and no import of another feature\'s queries or routes', () => {
    expect(found, 'imports that break the structure (see DESIGN.md, Dependencies)').toEqual([]);
  });
});
