// The occupancy map at the size the issue names (5000 nodes × 8 GPUs): answers stay bounded however
// many domains are asked to open. Sizes, not timings: benchmarks/map/run.ts measures the time.
import { describe, expect, it } from 'vitest';
import { OccupancyMap } from '../../../src/core/occupancy/occupancy-map.js';
import { syntheticOccupancy } from '../../../benchmarks/map/synthetic-occupancy.js';

const NODES = 5000;

describe(`the occupancy map at ${NODES} nodes × 8 GPUs`, () => {
  const fabric = syntheticOccupancy(NODES);
  const map = new OccupancyMap({
    state: fabric.state,
    levels: fabric.levels,
    holder: (uid) => fabric.pods.get(uid),
    plans: () => [],
    schedulerName: 'phalanx-scheduler',
    clock: { now: () => 0 },
  });
  const bytes = (open: Iterable<string>): number =>
    Buffer.byteLength(JSON.stringify(map.view(new Set(open))));

  it('starts closed: per-zone figures, no node detailed, under 128 KB', () => {
    const view = map.view(new Set());
    expect(view.totals.gpus).toBe(NODES * 8);
    expect(view.domains.every((d) => !d.open)).toBe(true);
    expect(view.detailNodes).toBe(0);
    expect(bytes([])).toBeLessThan(128 * 1024);
  });

  it('details at most 256 nodes however much is asked to open, and stays under 1 MB', () => {
    const cliques = map
      .fabric()
      .domains.flatMap((z) => z.children.flatMap((r) => r.children.map((c) => c.id)))
      .slice(0, 64);
    const view = map.view(new Set(cliques));
    expect(view.detailNodes).toBeLessThanOrEqual(256);
    expect(view.closedForSize.length).toBeGreaterThan(0);
    expect(bytes(cliques)).toBeLessThan(1024 * 1024);
  });

  it('finds one pod among all of them', () => {
    const [uid, pod] = [...fabric.pods].at(-1) ?? [];
    expect(uid).toBeDefined();
    const hits = map.search(`${pod?.namespace}/${pod?.name}`, 50).filter((h) => h.kind === 'pod');
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.every((h) => h.label === `${pod?.namespace}/${pod?.name}`)).toBe(true);
  });
});
