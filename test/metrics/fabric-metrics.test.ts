import { describe, expect, it } from 'vitest';
import { ClusterState } from '../../src/core/cluster-state.js';
import { NodeLabel } from '../../src/core/names.js';
import { OccupancyMap } from '../../src/core/occupancy/occupancy-map.js';
import type { HolderPod } from '../../src/core/occupancy/occupancy-types.js';
import {
  createFabricMetrics,
  MAX_DOMAINS_PER_LEVEL,
  OTHER_DOMAINS,
} from '../../src/metrics/fabric-metrics.js';
import { createRegistry } from '../../src/metrics/registry.js';
import { inventory, share, smallFabric, whole } from '../core/occupancy/fixture.js';

const LEVELS = [NodeLabel.clique, NodeLabel.leaf, NodeLabel.zone];

function mapOf(state: ClusterState, pods = new Map<string, HolderPod>()): OccupancyMap {
  return new OccupancyMap({
    state,
    levels: LEVELS,
    holder: (uid) => pods.get(uid),
    plans: () => [],
    schedulerName: 'phalanx-scheduler',
    clock: { now: () => 0 },
    minRebuildMs: 0,
  });
}

/** metric name → "label=value,…" → value, read from the exposition text. */
async function scrape(map: OccupancyMap): Promise<Map<string, Map<string, number>>> {
  const registry = createRegistry(false);
  createFabricMetrics(registry, () => map.fabric());
  const out = new Map<string, Map<string, number>>();
  for (const line of (await registry.metrics()).split('\n')) {
    const m = /^(\w+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m) continue;
    const series = out.get(m[1]!) ?? new Map<string, number>();
    series.set(m[2]!.replace(/"/g, ''), Number(m[3]));
    out.set(m[1]!, series);
  }
  return out;
}

describe('fabric metrics', () => {
  it('exports free whole GPUs, free milli in shared devices and fragment per domain of each level', async () => {
    const f = smallFabric();
    f.hold('ua', { namespace: 'ns', name: 'a' }, share('n1', 0, 500));
    f.hold('ub', { namespace: 'ns', name: 'b' }, whole('n3', 0, 1, 2, 3));
    const m = await scrape(mapOf(f.state, f.pods));
    const free = m.get('phalanx_fabric_gpus_free_whole');
    // n1: 3 free (device 0 holds a share); n2 cordoned; n3: 4 free; n4: 2 free.
    expect(free?.get(`level=${NodeLabel.clique},domain=c1`)).toBe(3);
    expect(free?.get(`level=${NodeLabel.clique},domain=c2`)).toBe(4);
    expect(free?.get(`level=${NodeLabel.leaf},domain=r1`)).toBe(3);
    expect(free?.get(`level=${NodeLabel.leaf},domain=(none)`)).toBe(2);
    expect(free?.get(`level=${NodeLabel.zone},domain=z1`)).toBe(7);
    expect(m.get('phalanx_fabric_gpus')?.get(`level=${NodeLabel.zone},domain=z1`)).toBe(16);
    expect(m.get('phalanx_fabric_gpu_milli_free_partial')?.get(`level=${NodeLabel.clique},domain=c1`)).toBe(
      500,
    );
    // Mix: one 500m pod, one 4-GPU pod. n1 has free [500, 1000, 1000, 1000]: the 4-GPU type cannot
    // run (3 whole devices free), so all 3500 is fragment; the 500m type uses it all: 3500 / 2 = 1750.
    expect(m.get('phalanx_fabric_fragment_milli')?.get(`level=${NodeLabel.clique},domain=c1`)).toBe(1750);
    const gangs = m.get('phalanx_fabric_largest_gang_gpus');
    expect(gangs?.get(`level=${NodeLabel.clique},member_gpus=1`)).toBe(4);
    expect(gangs?.get(`level=${NodeLabel.zone},member_gpus=1`)).toBe(7);
    expect(gangs?.get(`level=${NodeLabel.zone},member_gpus=2`)).toBe(6);
    expect(gangs?.get(`level=node,member_gpus=4`)).toBe(4);
    expect(gangs?.get(`level=node,member_gpus=8`)).toBe(0);
  });

  it(`keeps at most ${MAX_DOMAINS_PER_LEVEL} domains per level, summing the rest`, async () => {
    const state = new ClusterState();
    const cliques = MAX_DOMAINS_PER_LEVEL + 5;
    for (let i = 0; i < cliques; i++) {
      state.applyNode(inventory(`n${i}`, 2, { [NodeLabel.clique]: `c${i}`, [NodeLabel.zone]: 'z' }));
    }
    const m = await scrape(mapOf(state));
    const gpus = m.get('phalanx_fabric_gpus')!;
    const perClique = [...gpus].filter(([k]) => k.startsWith(`level=${NodeLabel.clique},`));
    expect(perClique).toHaveLength(MAX_DOMAINS_PER_LEVEL + 1);
    expect(gpus.get(`level=${NodeLabel.clique},domain=${OTHER_DOMAINS}`)).toBe(2 * 5);
    // Nodes without a rack label share one series, not one per node.
    expect([...gpus.keys()].filter((k) => k.startsWith(`level=${NodeLabel.leaf},`))).toEqual([
      `level=${NodeLabel.leaf},domain=(none)`,
    ]);
    expect(perClique.reduce((sum, [, v]) => sum + v, 0)).toBe(2 * cliques);
  });
});
