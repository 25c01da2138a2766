// Exact check that a set of gang members fits on a set of nodes: best-fit-decreasing over scratch
// copies of the node states, so nothing in the ledger changes. A node that cannot take a member of
// some shape will not take it later either (packing only consumes capacity), so each distinct shape
// keeps a cursor into the node order and the whole pack costs O(nodes × shapes + members).
import { candidateAssignments } from '../ledger/device-fit.js';
import { MILLI_PER_GPU, type Assignment, type NodeGpuState, type PodDemand } from '../types.js';

/** Picks one device set among a node's feasible candidates (the policy's choice). */
export type DeviceChooser = (
  node: NodeGpuState,
  candidates: readonly Assignment[],
  demand: PodDemand,
) => Assignment;

export const firstCandidate: DeviceChooser = (_node, candidates) => {
  const first = candidates[0];
  if (first === undefined) throw new Error('firstCandidate called without candidates');
  return first;
};

/**
 * What may stop a member from running on a node besides GPUs (selectors, taints, host resources,
 * spreading between members), for one packing pass: the scope remembers the members placed so far.
 * Admission must be monotone: a node that refuses a member keeps refusing it as more are placed.
 */
export interface PackScope {
  /** Members of one class are interchangeable for admits (same template, same constraints). */
  classOf(member: number): string;
  admits(member: number, node: string): boolean;
  place(member: number, node: string): void;
}

/** Starts a fresh scope per packing pass. */
export interface MemberFit {
  begin(): PackScope;
}

export interface PackOptions {
  /** Multi-GPU members only take device sets inside one NVLink island. */
  readonly strictIslands: boolean;
  /** Node-level and between-member constraints; without it every node with GPUs may take anyone. */
  readonly fit?: MemberFit;
  /** Nodes for members without GPUs (default `nodes`): they need only the gang's required level. */
  readonly hosts?: readonly NodeGpuState[];
  /**
   * The sub-domains of each node, outermost first (for a gang spanning a zone: its rack, then its
   * NVLink clique): at each depth the sub-domains with the most free GPU are filled first, so a gang
   * that cannot fit one spans as few as it can.
   */
  readonly groupsOf?: (node: string) => readonly (string | undefined)[];
  /** Keep going after a member does not fit, to count how many would (explanations). */
  readonly partial?: boolean;
  readonly choose?: DeviceChooser;
}

export interface PackResult {
  /** Index-aligned with the members; undefined where a member did not fit. */
  readonly assignments: readonly (Assignment | undefined)[];
  readonly placed: number;
}

/** Free milli a node can still give (devices given whole count 0). */
export function freeMilliOf(node: NodeGpuState): number {
  let free = 0;
  for (const d of node.devices) free += d.mode === 'whole' ? 0 : MILLI_PER_GPU - d.usedMilli;
  return free;
}

/** Milli a member takes, for ordering and fill ratios; memory-only shares count 1. */
export function demandMilli(demand: PodDemand): number {
  switch (demand.gpu.kind) {
    case 'whole':
      return demand.gpu.count * MILLI_PER_GPU;
    case 'fraction':
      return demand.gpu.milli;
    case 'memory':
      return 1;
    case 'none':
      return 0;
  }
}

/** Members with equal shapes are interchangeable for the packer. */
export function demandShape(demand: PodDemand): string {
  const gpu = demand.gpu;
  const amount =
    gpu.kind === 'whole'
      ? String(gpu.count)
      : gpu.kind === 'fraction'
        ? `${gpu.milli}/${gpu.memoryBytes ?? 0}`
        : gpu.kind === 'memory'
          ? String(gpu.memoryBytes)
          : '';
  return `${gpu.kind}:${amount}:${(demand.models ?? []).join('|')}`;
}

/** True when every device of the assignment lies in one NVLink island of the node. */
export function insideOneIsland(node: NodeGpuState, assignment: Assignment): boolean {
  const islands = node.inventory.islands;
  if (islands.length <= 1 || assignment.devices.length <= 1) return true;
  return islands.some((island) => assignment.devices.every((d) => island.includes(d.index)));
}

/** The node state after `assignment` is added: what the ledger would show once it is reserved. */
export function withAssignment(node: NodeGpuState, assignment: Assignment): NodeGpuState {
  const byIndex = new Map(assignment.devices.map((share) => [share.index, share]));
  const devices = node.devices.map((d) => {
    const share = byIndex.get(d.index);
    if (share === undefined) return d;
    return {
      ...d,
      usedMilli: d.usedMilli + share.milli,
      usedMemoryBytes: d.usedMemoryBytes + share.memoryBytes,
      mode: assignment.whole ? ('whole' as const) : ('shared' as const),
    };
  });
  return { ...node, devices };
}

/**
 * Places `members` on `nodes` (largest member first, each on the fullest node that still takes it
 * and that `options.fit` admits). Nodes that are unknown, cordoned or without GPUs are skipped.
 */
export function packMembers(
  nodes: readonly NodeGpuState[],
  members: readonly PodDemand[],
  options: PackOptions,
): PackResult {
  const choose = options.choose ?? firstCandidate;
  const scope = options.fit?.begin();
  // With a fit, cordoned nodes are its to refuse (a pod may tolerate the unschedulable taint).
  const schedulable = nodes.filter((n) => scope !== undefined || !n.inventory.unschedulable);
  const usable = schedulable
    .filter((n) => n.devices.length > 0)
    .map((n) => ({ state: n, free: freeMilliOf(n), groups: [] as number[] }))
    .filter((n) => n.free > 0);
  if (options.groupsOf !== undefined) rankGroups(usable, options.groupsOf);
  usable.sort(
    (a, b) =>
      compareGroups(a.groups, b.groups) ||
      a.free - b.free ||
      compareText(a.state.inventory.name, b.state.inventory.name),
  );
  // Members without GPUs (a frontend, a router) go to any node, nodes without GPUs first: they keep
  // the GPU nodes' host resources for the GPU members.
  const hosts = (options.hosts ?? nodes)
    .filter((n) => scope !== undefined || !n.inventory.unschedulable)
    .map((n) => ({ state: n, free: freeMilliOf(n) }))
    .sort(
      (a, b) =>
        a.state.devices.length - b.state.devices.length ||
        a.free - b.free ||
        compareText(a.state.inventory.name, b.state.inventory.name),
    );
  const order = members
    .map((demand, index) => ({ demand, index, milli: demandMilli(demand) }))
    .sort((a, b) => b.milli - a.milli || a.index - b.index);
  const assignments: (Assignment | undefined)[] = members.map(() => undefined);
  const cursors = new Map<string, number>();
  let placed = 0;
  for (const member of order) {
    const shape = `${demandShape(member.demand)}#${scope?.classOf(member.index) ?? ''}`;
    let i = cursors.get(shape) ?? 0;
    let found: Assignment | undefined;
    const pool = member.demand.gpu.kind === 'none' ? hosts : usable;
    for (; i < pool.length; i++) {
      const entry = pool[i];
      if (entry === undefined) break;
      if (scope !== undefined && !scope.admits(member.index, entry.state.inventory.name)) continue;
      const candidates = candidateAssignments(entry.state, member.demand).filter(
        (c) => !options.strictIslands || insideOneIsland(entry.state, c),
      );
      if (candidates.length === 0) continue;
      found = choose(entry.state, candidates, member.demand);
      entry.state = withAssignment(entry.state, found);
      scope?.place(member.index, entry.state.inventory.name);
      break;
    }
    cursors.set(shape, i);
    if (found === undefined) {
      if (options.partial !== true) return { assignments, placed };
      continue;
    }
    assignments[member.index] = found;
    placed += 1;
  }
  return { assignments, placed };
}

/** Sets each entry's `groups` to the free GPU of its sub-domain at every depth. */
function rankGroups(
  entries: { readonly state: NodeGpuState; readonly free: number; groups: number[] }[],
  groupsOf: (node: string) => readonly (string | undefined)[],
): void {
  const keys = entries.map((e) =>
    groupsOf(e.state.inventory.name).map((g, depth) => `${depth}:${g ?? `node:${e.state.inventory.name}`}`),
  );
  const totals = new Map<string, number>();
  entries.forEach((e, i) => {
    for (const key of keys[i] ?? []) totals.set(key, (totals.get(key) ?? 0) + e.free);
  });
  entries.forEach((e, i) => (e.groups = (keys[i] ?? []).map((key) => totals.get(key) ?? 0)));
}

/** More free GPU in the outer sub-domain first, then in the next one in. */
function compareGroups(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const diff = (b[i] ?? 0) - (a[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
