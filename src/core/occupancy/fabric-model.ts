// The whole fabric as the map shows it, built once per change: the domain tree (outermost level
// first, down to nodes) with figures at every domain, each node's devices with who holds what,
// gangs (planned ones from the tracker, bound ones from their members' pods), reservations and the
// pending list. Views (occupancy-view.ts) and searches (fabric-search.ts) read it without rebuilding.
import type { ClusterState } from '../cluster-state.js';
import type { GangRecord } from '../gang/gang-tracker.js';
import type { Holding } from '../ledger/gpu-ledger.js';
import type { PodTypeTable } from '../policies/pod-types.js';
import type { NodeGpuState } from '../types.js';
import { FiguresSum, nodeFigures } from './fabric-figures.js';
import { gangOutlines, holderName, reservationCells, slotsByHolder, type SlotRef } from './fabric-gangs.js';
import {
  UNLABELLED,
  type DeviceCell,
  type FabricFigures,
  type GangOutline,
  type HolderLookup,
  type NodeCell,
  type PendingCell,
  type ReservationCell,
  type ShareCell,
} from './occupancy-types.js';

export interface FabricDomain {
  readonly id: string;
  readonly level: string;
  readonly name: string;
  readonly figures: FabricFigures;
  readonly children: readonly FabricDomain[];
  /** Node names, for domains of the closest level. */
  readonly nodes: readonly string[];
}

export interface Fabric {
  readonly version: string;
  /** Outermost first. */
  readonly levels: readonly string[];
  readonly totals: FabricFigures;
  readonly domains: readonly FabricDomain[];
  /** Figures of every node drawn (nodes with GPUs). */
  readonly nodeFigures: ReadonlyMap<string, FabricFigures>;
  /** The node's devices and holders, built on first use (most views show few nodes). */
  node(name: string): NodeCell | undefined;
  /** Every share per node and device index, for search. */
  readonly shares: ReadonlyMap<string, ReadonlyMap<number, readonly ShareCell[]>>;
  /** Domain ids from the outermost level down to the node's closest domain. */
  readonly nodePaths: ReadonlyMap<string, readonly string[]>;
  readonly gangs: readonly GangOutline[];
  readonly reservations: readonly ReservationCell[];
  readonly pending: readonly PendingCell[];
}

export interface FabricInput {
  readonly state: ClusterState;
  /** Configured topology levels, closest first (as in the config). */
  readonly levels: readonly string[];
  readonly holder: HolderLookup;
  /** The ledger's committed holdings and reservations (read once by the caller). */
  readonly committed: readonly Holding[];
  readonly reserved: readonly Holding[];
  readonly plans: readonly GangRecord[];
  readonly pending: readonly PendingCell[];
  readonly mix: PodTypeTable;
  readonly now: number;
  readonly version: string;
}

function shareCell(
  h: Holding,
  input: FabricInput,
  slots: Map<string, SlotRef>,
  milli: number,
  memoryBytes: number,
): ShareCell {
  const pod = input.holder(h.uid);
  const slot = slots.get(h.uid);
  const gang = pod?.gang ?? slot?.gang.key;
  return {
    holder: holderName(h.uid, pod, slot),
    uid: h.uid,
    milli,
    memoryBytes,
    state: h.state,
    whole: h.assignment.whole,
    ...(gang !== undefined ? { gang } : {}),
    ...(h.state === 'reserved' && slot?.phase === 'waiting' ? { atBarrier: true as const } : {}),
  };
}

/** Shares per node and device index, committed holdings first, each in arrival order. */
function sharesByDevice(
  input: FabricInput,
  slots: Map<string, SlotRef>,
): Map<string, Map<number, ShareCell[]>> {
  const byNode = new Map<string, Map<number, ShareCell[]>>();
  for (const h of [...input.committed, ...input.reserved]) {
    if (h.displaced === true) continue;
    let devices = byNode.get(h.assignment.node);
    if (devices === undefined) byNode.set(h.assignment.node, (devices = new Map<number, ShareCell[]>()));
    for (const d of h.assignment.devices) {
      const list = devices.get(d.index) ?? [];
      list.push(shareCell(h, input, slots, d.milli, d.memoryBytes));
      devices.set(d.index, list);
    }
  }
  return byNode;
}

/** "node-2" before "node-10". One collator: localeCompare with options builds one per call. */
const naturalOrder = new Intl.Collator('en', { numeric: true }).compare;

interface DomainBuilder {
  readonly id: string;
  readonly level: string;
  readonly name: string;
  readonly sum: FiguresSum;
  readonly children: Map<string, DomainBuilder>;
  readonly nodes: string[];
}

function freeze(b: DomainBuilder): FabricDomain {
  const byName = (x: DomainBuilder, y: DomainBuilder): number => naturalOrder(x.name, y.name);
  return {
    id: b.id,
    level: b.level,
    name: b.name,
    figures: b.sum.figures(),
    children: [...b.children.values()].sort(byName).map(freeze),
    nodes: b.nodes.sort(naturalOrder),
  };
}

function nodeCell(
  state: NodeGpuState,
  figures: FabricFigures,
  shares: ReadonlyMap<number, readonly ShareCell[]> | undefined,
  gangs: readonly string[],
): NodeCell {
  const devices: DeviceCell[] = state.devices.map((d) => ({
    index: d.index,
    mode: d.mode,
    usedMilli: d.usedMilli,
    memoryBytes: d.memoryBytes,
    usedMemoryBytes: d.usedMemoryBytes,
    shares: shares?.get(d.index) ?? [],
  }));
  const inventory = state.inventory;
  return {
    name: inventory.name,
    model: inventory.model,
    unschedulable: inventory.unschedulable,
    figures,
    devices,
    gangs,
  };
}

/** Builds the fabric. Nodes without GPUs are left out: there is nothing of theirs to show. */
export function buildFabric(input: FabricInput): Fabric {
  const outer = [...input.levels].reverse();
  const slots = slotsByHolder(input.plans);
  const shares = sharesByDevice(input, slots);
  const totals = new FiguresSum();
  const roots = new Map<string, DomainBuilder>();
  const figuresOf = new Map<string, FabricFigures>();
  const nodePaths = new Map<string, string[]>();
  const gangsOnNode = new Map<string, Set<string>>();
  const gangOn = (node: string, gang: string): void => {
    let set = gangsOnNode.get(node);
    if (set === undefined) gangsOnNode.set(node, (set = new Set()));
    set.add(gang);
  };
  for (const gang of input.plans) for (const s of gang.slots) gangOn(s.node, gang.key);
  for (const [node, devices] of shares) {
    for (const list of devices.values()) for (const cell of list) if (cell.gang) gangOn(node, cell.gang);
  }
  for (const name of input.state.nodes()) {
    const state = input.state.nodeState(name);
    if (state === undefined || state.devices.length === 0) continue;
    const figures = nodeFigures(state, input.mix);
    totals.add(figures);
    figuresOf.set(name, { ...figures, fragmentMilli: Math.round(figures.fragmentMilli) });
    let level = roots;
    const path: string[] = [];
    let domain: DomainBuilder | undefined;
    for (const key of outer) {
      const value = state.inventory.labels[key] || UNLABELLED;
      const id = path.length === 0 ? value : `${path[path.length - 1] ?? ''}/${value}`;
      domain = level.get(value);
      if (domain === undefined) {
        domain = { id, level: key, name: value, sum: new FiguresSum(), children: new Map(), nodes: [] };
        level.set(value, domain);
      }
      domain.sum.add(figures);
      path.push(id);
      level = domain.children;
    }
    domain?.nodes.push(name);
    nodePaths.set(name, path);
  }
  const labelsOf = (node: string) => input.state.inventory(node)?.labels ?? {};
  const byName = (x: FabricDomain, y: FabricDomain): number => naturalOrder(x.name, y.name);
  const cells = new Map<string, NodeCell>();
  const node = (name: string): NodeCell | undefined => {
    let cell = cells.get(name);
    const figures = figuresOf.get(name);
    const state = input.state.nodeState(name);
    if (cell !== undefined || figures === undefined || state === undefined) return cell;
    cell = nodeCell(state, figures, shares.get(name), [...(gangsOnNode.get(name) ?? [])].sort());
    cells.set(name, cell);
    return cell;
  };
  return {
    version: input.version,
    levels: outer,
    totals: totals.figures(),
    domains: [...roots.values()].map(freeze).sort(byName),
    nodeFigures: figuresOf,
    node,
    shares,
    nodePaths,
    gangs: gangOutlines(input, figuresOf, labelsOf),
    reservations: reservationCells(input, slots),
    pending: input.pending,
  };
}
