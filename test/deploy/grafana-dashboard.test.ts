// The Grafana dashboard in deploy/grafana: every query names at least one metric, and every metric
// it names is one Phalanx registers. The exported names are read from a registry on which every
// `create…Metrics` function of src/metrics has registered (found by reading the folder), so a
// renamed or removed metric fails here without a list kept by hand.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createRegistry } from '../../src/metrics/registry.js';

const ROOT = resolve(import.meta.dirname, '../..');
const DASHBOARD = join(ROOT, 'deploy/grafana/phalanx-dashboard.json');

interface Panel {
  readonly title: string;
  readonly targets?: readonly { readonly expr: string }[];
  readonly panels?: readonly Panel[];
}

/** PromQL words that are not metric names (functions are recognised by the parenthesis after them). */
const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'inf',
  'nan',
]);
const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'];

async function exportedMetricNames(): Promise<Set<string>> {
  const registry = createRegistry(true);
  const dir = join(ROOT, 'src/metrics');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const module = (await import(pathToFileURL(join(dir, file)).href)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(module)) {
      if (!/^create\w*Metrics$/.test(name) || typeof value !== 'function') continue;
      // Callbacks (ledger usage, Kueue, the fabric) only run on a scrape, which never happens here.
      (value as (registry: Registry, source: () => never) => unknown)(registry, () => {
        throw new Error('not scraped in this test');
      });
    }
  }
  return new Set(registry.getMetricsAsArray().map((m) => (m as unknown as { name: string }).name));
}

/** The metric names of one PromQL expression. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/(?<![A-Za-z0-9_:])\d+(\.\d+)?(e[+-]?\d+)?/gi, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names: string[] = [];
  for (const m of bare.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*(\s*\()?/g)) {
    const word = m[0].replace(/\s*\($/, '');
    if (m[1] !== undefined || KEYWORDS.has(word.toLowerCase()) || /^\d/.test(word)) continue;
    names.push(word);
  }
  return names;
}

function targets(panels: readonly Panel[]): { panel: string; expr: string }[] {
  return panels.flatMap((p) => [
    ...(p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })),
    ...targets(p.panels ?? []),
  ]);
}

describe('deploy/grafana/phalanx-dashboard.json', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
    panels: Panel[];
    templating: { list: { query?: unknown }[] };
  };

  it('reads metric names out of PromQL', () => {
    expect(metricNames('sum by (le, verb) (rate(a_bucket{x="b(c)"}[5m])) / on (x) b + 1e3')).toEqual([
      'a_bucket',
      'b',
    ]);
  });

  it('has queries, and every query names only metrics Phalanx exports', async () => {
    const exported = await exportedMetricNames();
    expect(exported.has('phalanx_fabric_gpus_free_whole')).toBe(true);
    const all = targets(dashboard.panels);
    expect(all.length).toBeGreaterThan(5);
    for (const { panel, expr } of all) {
      const names = metricNames(expr);
      expect(names.length, `${panel}: ${expr}`).toBeGreaterThan(0);
      for (const name of names) {
        const base = HISTOGRAM_SUFFIXES.reduce(
          (n, s) => (n.endsWith(s) && exported.has(n.slice(0, -s.length)) ? n.slice(0, -s.length) : n),
          name,
        );
        expect(exported, `${panel}: ${name} in ${expr}`).toContain(base);
      }
    }
  });

  it('fills its variables from exported metrics too', async () => {
    const exported = await exportedMetricNames();
    for (const variable of dashboard.templating.list) {
      const query = variable.query as { query?: string } | string | undefined;
      const text = typeof query === 'string' ? query : query?.query;
      if (text === undefined || !text.startsWith('label_values(')) continue;
      const metric = /^label_values\(([A-Za-z_:][A-Za-z0-9_:]*)/.exec(text)?.[1] ?? '';
      expect(exported, text).toContain(metric);
    }
  });
});
