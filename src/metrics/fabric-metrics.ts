// Metrics that explain the fabric, per topology domain (clique, rack, zone: the configured levels)
// and per level: free whole GPUs, free milli on partly used devices, the FGD expected fragment for
// the observed pod mix, and the largest gang that fits now. Computed on scrape from the occupancy
// map's fabric (rebuilt only when something changed).
//
// Label bound: `level` is one of the configured levels (and "node" for the per-level gang figure);
// `domain` is a label value of that level, at most MAX_DOMAINS_PER_LEVEL per level (the rest are
// summed into domain="(other)"); nodes without the level's label are summed into "(none)", so a
// cluster without topology labels yields one series per level, not one per node. `member_gpus` is
// one of GANG_MEMBER_SIZES.
import { Gauge, type Registry } from 'prom-client';
import type { Fabric, FabricDomain } from '../core/occupancy/fabric-model.js';
import { FiguresSum } from '../core/occupancy/fabric-figures.js';
import { GANG_MEMBER_SIZES, type FabricFigures } from '../core/occupancy/occupancy-types.js';
import { NODE_LEVEL } from '../core/names.js';

export const MAX_DOMAINS_PER_LEVEL = 1000;
export const OTHER_DOMAINS = '(other)';

/** Figures per level and domain value. The tree splits a value by parent; the planner does not. */
export function figuresByLevel(fabric: Fabric): Map<string, Map<string, FabricFigures>> {
  const sums = new Map<string, Map<string, FiguresSum>>();
  const visit = (d: FabricDomain): void => {
    let level = sums.get(d.level);
    if (level === undefined) sums.set(d.level, (level = new Map<string, FiguresSum>()));
    let sum = level.get(d.name);
    if (sum === undefined) {
      const key = level.size >= MAX_DOMAINS_PER_LEVEL ? OTHER_DOMAINS : d.name;
      sum = level.get(key) ?? new FiguresSum();
      level.set(key, sum);
    }
    sum.add(d.figures);
    for (const child of d.children) visit(child);
  };
  for (const d of fabric.domains) visit(d);
  return new Map([...sums].map(([level, m]) => [level, new Map([...m].map(([k, s]) => [k, s.figures()]))]));
}

/** Per level and member size: the most GPUs one domain could give a gang now. */
function largestGangs(
  fabric: Fabric,
  byLevel: Map<string, Map<string, FabricFigures>>,
): Map<string, number[]> {
  const best = (figures: Iterable<FabricFigures>): number[] => {
    const max = GANG_MEMBER_SIZES.map(() => 0);
    for (const f of figures) {
      GANG_MEMBER_SIZES.forEach((k, i) => {
        max[i] = Math.max(max[i] ?? 0, f.largestGangGpus[String(k)] ?? 0);
      });
    }
    return max;
  };
  const out = new Map<string, number[]>();
  out.set(NODE_LEVEL, best(fabric.nodeFigures.values()));
  for (const [level, domains] of byLevel) out.set(level, best(domains.values()));
  return out;
}

export function createFabricMetrics(registry: Registry, fabric: () => Fabric) {
  const registers = [registry];
  const labelNames = ['level', 'domain'] as const;
  let lastVersion: string | undefined;
  let byLevel = new Map<string, Map<string, FabricFigures>>();
  let gangs = new Map<string, number[]>();
  const refresh = (): void => {
    const f = fabric();
    if (f.version === lastVersion) return;
    lastVersion = f.version;
    byLevel = figuresByLevel(f);
    gangs = largestGangs(f, byLevel);
  };
  const perDomain = (
    name: string,
    help: string,
    pick: (f: FabricFigures) => number,
  ): Gauge<'level' | 'domain'> =>
    new Gauge({
      name,
      help,
      labelNames,
      registers,
      collect() {
        refresh();
        this.reset();
        for (const [level, domains] of byLevel) {
          for (const [domain, figures] of domains) this.set({ level, domain }, pick(figures));
        }
      },
    });
  return {
    gpus: perDomain(
      'phalanx_fabric_gpus',
      'GPUs in the topology domain (cordoned nodes included).',
      (f) => f.gpus,
    ),
    freeWhole: perDomain(
      'phalanx_fabric_gpus_free_whole',
      'GPUs nobody holds any share of, on schedulable nodes of the topology domain.',
      (f) => f.freeWhole,
    ),
    freeMilliPartial: perDomain(
      'phalanx_fabric_gpu_milli_free_partial',
      'Free milli-GPU on devices that already hold shares, on schedulable nodes of the domain.',
      (f) => f.freeMilliPartial,
    ),
    fragmentMilli: perDomain(
      'phalanx_fabric_fragment_milli',
      'FGD expected fragment of the domain: free milli-GPU a pod of the observed pod mix could not use, averaged over the mix.',
      (f) => f.fragmentMilli,
    ),
    largestGang: new Gauge({
      name: 'phalanx_fabric_largest_gang_gpus',
      help: 'Largest gang (GPUs) of members needing member_gpus whole GPUs each that one domain of the level could take now (devices only).',
      labelNames: ['level', 'member_gpus'] as const,
      registers,
      collect() {
        refresh();
        this.reset();
        for (const [level, max] of gangs) {
          GANG_MEMBER_SIZES.forEach((k, i) => this.set({ level, member_gpus: String(k) }, max[i] ?? 0));
        }
      },
    }),
  };
}
