// Random fabrics (labels missing at random, cordoned and CPU-only nodes) with random shares and whole
// GPUs: the map's tree holds every GPU node exactly once under the domains its labels name, every
// domain's figures are the sums of what it holds, and every device shows exactly the holdings the
// ledger has on it. The expectations are recomputed here from the inputs, not from the map.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NodeLabel } from '../../../src/core/names.js';
import { OccupancyMap } from '../../../src/core/occupancy/occupancy-map.js';
import type { DomainCell, HolderPod, NodeCell } from '../../../src/core/occupancy/occupancy-types.js';
import { ClusterState } from '../../../src/core/cluster-state.js';
import { inventory, share, whole } from './fixture.js';

const LEVELS = [NodeLabel.clique, NodeLabel.leaf, NodeLabel.zone];
const OUTER = [...LEVELS].reverse();

const nodeArb = fc.record({
  gpus: fc.constantFrom(0, 2, 4, 8),
  zone: fc.option(fc.constantFrom('z1', 'z2'), { nil: undefined }),
  rack: fc.option(fc.constantFrom('r1', 'r2'), { nil: undefined }),
  clique: fc.option(fc.constantFrom('c1', 'c2', 'c3'), { nil: undefined }),
  cordoned: fc.boolean(),
});
const holdArb = fc.record({
  node: fc.nat(11),
  device: fc.nat(7),
  kind: fc.constantFrom('share', 'whole'),
  milli: fc.constantFrom(100, 250, 500, 750),
});

interface Leaf {
  readonly path: string[];
  readonly node: NodeCell;
}

function leaves(domains: readonly DomainCell[], path: string[] = []): Leaf[] {
  return domains.flatMap((d) => [
    ...(d.nodes ?? []).map((node) => ({ path: [...path, d.name], node })),
    ...leaves(d.children ?? [], [...path, d.name]),
  ]);
}

function sumsHold(d: DomainCell): void {
  const parts = [...(d.children ?? []).map((c) => c.figures), ...(d.nodes ?? []).map((n) => n.figures)];
  expect(d.figures.gpus).toBe(parts.reduce((s, f) => s + f.gpus, 0));
  expect(d.figures.freeWhole).toBe(parts.reduce((s, f) => s + f.freeWhole, 0));
  expect(d.figures.freeMilliPartial).toBe(parts.reduce((s, f) => s + f.freeMilliPartial, 0));
  expect(d.figures.usedMilli).toBe(parts.reduce((s, f) => s + f.usedMilli, 0));
  for (const c of d.children ?? []) sumsHold(c);
}

describe('the fabric tree', () => {
  it('partitions the GPU nodes by their labels and sums them exactly', () => {
    fc.assert(
      fc.property(
        fc.array(nodeArb, { minLength: 1, maxLength: 12 }),
        fc.array(holdArb, { maxLength: 30 }),
        (specs, holds) => {
          const state = new ClusterState({ levels: LEVELS });
          const labels = new Map<string, Record<string, string>>();
          specs.forEach((spec, i) => {
            const l: Record<string, string> = {};
            if (spec.zone) l[NodeLabel.zone] = spec.zone;
            if (spec.rack) l[NodeLabel.leaf] = spec.rack;
            if (spec.clique) l[NodeLabel.clique] = spec.clique;
            labels.set(`n${i}`, l);
            state.applyNode(inventory(`n${i}`, spec.gpus, l, spec.cordoned));
          });
          const pods = new Map<string, HolderPod>();
          const held = new Map<string, { milli: number; holders: string[] }>();
          holds.forEach((h, i) => {
            const node = `n${h.node}`;
            const a = h.kind === 'whole' ? whole(node, h.device) : share(node, h.device, h.milli);
            if (!state.commit(`u${i}`, a).ok) return; // no such node or device, or no room: not held
            pods.set(`u${i}`, { namespace: 'ns', name: `p${i}` });
            const key = `${node}/${h.device}`;
            const entry = held.get(key) ?? { milli: 0, holders: [] };
            entry.milli += h.kind === 'whole' ? 1000 : h.milli;
            entry.holders.push(`ns/p${i}`);
            held.set(key, entry);
          });
          const view = new OccupancyMap({
            state,
            levels: LEVELS,
            holder: (uid) => pods.get(uid),
            plans: () => [],
            schedulerName: 's',
            clock: { now: () => 0 },
          }).view(new Set());
          const drawn = leaves(view.domains);
          const gpuNodes = specs.flatMap((s, i) => (s.gpus > 0 ? [`n${i}`] : []));
          expect(drawn.map((l) => l.node.name).sort()).toEqual(gpuNodes.sort());
          for (const { path, node } of drawn) {
            const l = labels.get(node.name) ?? {};
            expect(path).toEqual(OUTER.map((level) => l[level] ?? '(none)'));
            const spec = specs[Number(node.name.slice(1))]!;
            let free = 0;
            for (const d of node.devices) {
              const h = held.get(`${node.name}/${d.index}`);
              expect(d.shares.map((s) => s.holder)).toEqual(h?.holders ?? []);
              expect(d.usedMilli).toBe(h?.milli ?? 0);
              if (h === undefined) free += 1;
            }
            expect(node.figures.freeWhole).toBe(spec.cordoned ? 0 : free);
          }
          for (const d of view.domains) sumsHold(d);
          expect(view.totals.gpus).toBe(specs.reduce((s, n) => s + n.gpus, 0));
        },
      ),
      { numRuns: 200 },
    );
  });
});
