// The two-pool variant of bench:topology (`--pools`): the fabric is split into pools a and b through a
// node label (the first half of the zones, or of the racks when there is one zone, is pool a), pool b's
// nodes carry a NoSchedule taint, and every gang selects its pool through a nodeSelector (pool-b gangs
// tolerate the taint). Gangs are dealt to the pool with the smaller share of its capacity offered so
// far (pool a on a tie), so both pools fill at the pace of the whole fabric and the sequence stays
// the same in every run and configuration.
import {
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1Toleration,
} from '@kubernetes/client-node';
import type { GangSpec } from './gang-sequence.js';

export const POOL_LABEL = 'pool';
export const POOLS = ['a', 'b'] as const;
export type Pool = (typeof POOLS)[number];
/** The pool whose nodes are tainted `pool=b:NoSchedule`. */
export const TAINTED_POOL: Pool = 'b';

const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

interface PlacedNode {
  readonly name: string;
  readonly gpus: number;
  readonly rack: string;
  readonly zone: string;
}

/** Pool of every node: the first half of the zones (sorted) is pool a; with one zone, the first half of its racks. */
export function poolOfNodes(nodes: readonly PlacedNode[]): Map<string, Pool> {
  const zones = [...new Set(nodes.map((n) => n.zone))].sort();
  const byZone = zones.length > 1;
  const domains = byZone ? zones : [...new Set(nodes.map((n) => n.rack))].sort();
  if (domains.length < 2) throw new Error('--pools needs at least two zones or two racks');
  const firstHalf = new Set(domains.slice(0, Math.ceil(domains.length / 2)));
  return new Map(nodes.map((n) => [n.name, firstHalf.has(byZone ? n.zone : n.rack) ? 'a' : 'b']));
}

export function poolToleration(pool: Pool): V1Toleration | undefined {
  return pool === TAINTED_POOL
    ? { key: POOL_LABEL, operator: 'Equal', value: pool, effect: 'NoSchedule' }
    : undefined;
}

/** Labels every node with its pool and taints pool b's, through the API (the fabric spec has no labels). */
export async function applyPools(kc: KubeConfig, pools: ReadonlyMap<string, Pool>): Promise<void> {
  const core = kc.makeApiClient(CoreV1Api);
  for (const [name, pool] of pools) {
    const taint = poolToleration(pool);
    await core.patchNode(
      {
        name,
        body: {
          metadata: { labels: { [POOL_LABEL]: pool } },
          ...(taint ? { spec: { taints: [{ key: POOL_LABEL, value: pool, effect: 'NoSchedule' }] } } : {}),
        },
      },
      merge,
    );
  }
}

/** Each gang's pool: the one with the smaller offered share of its capacity so far, pool a on a tie. */
export function dealPools(gangs: readonly GangSpec[], capacityByPool: ReadonlyMap<Pool, number>): GangSpec[] {
  const offered = new Map<Pool, number>(POOLS.map((p) => [p, 0]));
  const share = (p: Pool): number => (offered.get(p) ?? 0) / (capacityByPool.get(p) ?? 1);
  return gangs.map((g) => {
    const pool = POOLS.reduce((best, p) => (share(p) < share(best) ? p : best));
    offered.set(pool, (offered.get(pool) ?? 0) + g.size * g.gpusPerMember);
    return { ...g, pool };
  });
}
