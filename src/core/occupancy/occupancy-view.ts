// One answer of the map: the fabric with only the asked-for domains open, so the payload stays small
// at thousands of nodes. Small fabrics open whole; larger ones show per-domain figures until a
// domain is opened (a click on the page, `--open` in the CLI), and one answer details at most
// `maxDetailNodes` nodes. Long lists are cut to `maxListItems` (their totals are kept).
import type { Fabric, FabricDomain } from './fabric-model.js';
import type { DomainCell, OccupancyView } from './occupancy-types.js';

export interface ViewLimits {
  /** Open everything when the fabric has at most this many nodes. */
  readonly autoOpenNodes: number;
  readonly maxDetailNodes: number;
  readonly maxListItems: number;
}

export interface ViewOptions extends ViewLimits {
  /** Domain ids to open (their ancestors open with them). */
  readonly open: ReadonlySet<string>;
}

export const DEFAULT_VIEW_LIMITS: ViewLimits = {
  autoOpenNodes: 64,
  maxDetailNodes: 256,
  maxListItems: 200,
};

/** Every ancestor of an open id is open too: "z/r/c" opens "z" and "z/r". */
function withAncestors(open: ReadonlySet<string>): Set<string> {
  const all = new Set<string>();
  for (const id of open) {
    const parts = id.split('/');
    for (let i = 1; i <= parts.length; i++) all.add(parts.slice(0, i).join('/'));
  }
  return all;
}

export function projectView(fabric: Fabric, options: ViewOptions): OccupancyView {
  const everything = fabric.nodeFigures.size <= options.autoOpenNodes;
  const open = withAncestors(options.open);
  let detailNodes = 0;
  const closedForSize: string[] = [];
  const project = (d: FabricDomain): DomainCell => {
    const base = { id: d.id, level: d.level, name: d.name, figures: d.figures };
    if (!everything && !open.has(d.id)) return { ...base, open: false };
    if (d.children.length > 0) return { ...base, open: true, children: d.children.map(project) };
    if (detailNodes + d.nodes.length > options.maxDetailNodes) {
      closedForSize.push(d.id);
      return { ...base, open: false };
    }
    detailNodes += d.nodes.length;
    const nodes = d.nodes.map((n) => fabric.node(n)).filter((n) => n !== undefined);
    return { ...base, open: true, nodes };
  };
  const domains = fabric.domains.map(project);
  const max = options.maxListItems;
  return {
    version: fabric.version,
    levels: fabric.levels,
    totals: fabric.totals,
    domains,
    detailNodes,
    maxDetailNodes: options.maxDetailNodes,
    closedForSize,
    gangs: fabric.gangs.slice(0, max),
    reservations: fabric.reservations.slice(0, max),
    pending: fabric.pending.slice(0, max),
    pendingTotal: fabric.pending.length,
  };
}
