// The replayer's cluster: per-node GPU and host accounts, published as immutable NodeGpuState
// snapshots (a new object only when a node changes, so policies can cache per snapshot). Nodes in
// identical states are grouped: they are interchangeable for every policy, so a pure policy's score
// for one member is its score for all of them.
import { memoryBytesOf, nodeInventory } from './trace-convert.js';
import type { TraceNode } from './trace-csv.js';
import {
  MILLI_PER_GPU,
  type Assignment,
  type DeviceState,
  type NodeGpuState,
  type NodeInventory,
  type PodDemand,
} from '../core/types.js';

type Mode = DeviceState['mode'];

export interface SimNode {
  readonly inventory: NodeInventory;
  readonly cpuCap: number;
  readonly memCap: number;
  readonly used: number[];
  readonly modes: Mode[];
  cpuUsed: number;
  memUsed: number;
  state: NodeGpuState;
  key: string;
  /** Devices untouched, and the most milli free on a device open to shares. */
  freeDevices: number;
  maxShareFree: number;
  group: NodeGroup | undefined;
  pos: number;
}

/** A pure policy's best placement on a group's state for one pod type (see simulate.ts). */
export interface GroupScore {
  readonly score: number;
  /** undefined: the pod does not fit. Device indices refer to `from`. */
  readonly assignment: Assignment | undefined;
  readonly from: NodeGpuState;
  readonly group: NodeGroup;
}

/**
 * Nodes in one identical state. A group lives in a slot (an index below the node count) from its
 * first member to its last; an emptied slot is reused, with a new generation number, so anything
 * cached per slot can tell whether it still describes the same group.
 */
export interface NodeGroup {
  readonly key: string;
  readonly members: SimNode[];
  readonly slot: number;
}

function snapshot(n: SimNode): NodeGpuState {
  return {
    inventory: n.inventory,
    devices: n.used.map((usedMilli, index) => ({
      index,
      memoryBytes: 0,
      usedMilli,
      usedMemoryBytes: 0,
      mode: n.modes[index] ?? 'free',
    })),
    host: { cpuMilli: n.cpuCap, cpuMilliUsed: n.cpuUsed, memoryBytes: n.memCap, memoryBytesUsed: n.memUsed },
  };
}

function stateKey(n: SimNode): string {
  const devices = n.used.map((u, i) => `${(n.modes[i] ?? 'free')[0]}${u}`).sort();
  return `${n.inventory.model}|${n.cpuCap}|${n.memCap}|${n.cpuUsed}|${n.memUsed}|${devices.join(',')}`;
}

export class SimCluster {
  readonly nodes: SimNode[];
  readonly capacityMilli: number;
  private readonly byKey = new Map<string, NodeGroup>();
  /**
   * Groups by slot (undefined: a free slot) and each slot's generation, bumped whenever a new group
   * takes it. Scoring walks every slot for every pod; flat arrays keep that walk cache-friendly.
   */
  readonly slots: (NodeGroup | undefined)[];
  readonly slotGeneration: Uint32Array;
  private readonly freeSlots: number[] = [];
  private usedSlots = 0;
  private readonly typeIds = new Map<string, number>();

  constructor(trace: readonly TraceNode[]) {
    // At most one group per node, so slots never outnumber nodes.
    this.slots = new Array<NodeGroup | undefined>(trace.length).fill(undefined);
    this.slotGeneration = new Uint32Array(trace.length);
    this.nodes = trace.map((t) => {
      const node: SimNode = {
        inventory: nodeInventory(t),
        cpuCap: t.cpuMilli,
        memCap: memoryBytesOf(t.memoryMib),
        used: new Array<number>(t.gpus).fill(0),
        modes: new Array<Mode>(t.gpus).fill('free'),
        cpuUsed: 0,
        memUsed: 0,
        state: undefined as unknown as NodeGpuState,
        key: '',
        freeDevices: 0,
        maxShareFree: 0,
        group: undefined,
        pos: -1,
      };
      this.refresh(node);
      return node;
    });
    this.capacityMilli = this.nodes.reduce((sum, n) => sum + n.used.length * MILLI_PER_GPU, 0);
  }

  /** Slots below this index may hold a group. */
  slotCount(): number {
    return this.usedSlots;
  }

  /** Live groups, for tests and diagnostics (scoring walks `slots` directly). */
  groups(): NodeGroup[] {
    return this.slots.filter((g): g is NodeGroup => g !== undefined);
  }

  /** A small integer per pod-type key, so score caches can be arrays. */
  typeId(typeKey: string): number {
    let id = this.typeIds.get(typeKey);
    if (id === undefined) {
      id = this.typeIds.size;
      this.typeIds.set(typeKey, id);
    }
    return id;
  }

  /** Cheap necessary conditions (model, host resources, device counts) before device fit runs. */
  mayFit(n: SimNode, demand: PodDemand): boolean {
    if (demand.models && demand.models.length > 0 && !demand.models.includes(n.inventory.model)) return false;
    if (n.cpuUsed + (demand.cpuMilli ?? 0) > n.cpuCap) return false;
    if (n.memUsed + (demand.memoryBytes ?? 0) > n.memCap) return false;
    const gpu = demand.gpu;
    if (gpu.kind === 'whole') return n.freeDevices >= gpu.count;
    if (gpu.kind === 'fraction') return n.maxShareFree >= gpu.milli;
    return true;
  }

  /** The same placement on a node in the same state (devices matched by mode and use). */
  translate(assignment: Assignment, from: NodeGpuState, to: SimNode): Assignment {
    const taken = new Set<number>();
    const devices = assignment.devices.map((share) => {
      const source = from.devices.find((d) => d.index === share.index);
      const mode = source?.mode;
      const used = source?.usedMilli;
      const index = to.used.findIndex((u, i) => !taken.has(i) && u === used && to.modes[i] === mode);
      if (index < 0)
        throw new Error(`node ${to.inventory.name} is not in the state of ${from.inventory.name}`);
      taken.add(index);
      return { ...share, index };
    });
    return { node: to.inventory.name, whole: assignment.whole, devices };
  }

  place(n: SimNode, assignment: Assignment, demand: PodDemand): void {
    for (const share of assignment.devices) {
      const used = (n.used[share.index] ?? 0) + share.milli;
      if (used > MILLI_PER_GPU || n.modes[share.index] === 'whole') {
        throw new Error(`device ${share.index} of ${n.inventory.name} would be over-allocated`);
      }
      n.used[share.index] = used;
      n.modes[share.index] = assignment.whole ? 'whole' : 'shared';
    }
    n.cpuUsed += demand.cpuMilli ?? 0;
    n.memUsed += demand.memoryBytes ?? 0;
    this.refresh(n);
  }

  private refresh(n: SimNode): void {
    if (n.group) {
      const members = n.group.members;
      const last = members.pop() as SimNode;
      if (last !== n) {
        members[n.pos] = last;
        last.pos = n.pos;
      }
      if (members.length === 0) {
        this.byKey.delete(n.group.key);
        this.slots[n.group.slot] = undefined;
        this.freeSlots.push(n.group.slot);
      }
    }
    n.state = snapshot(n);
    n.freeDevices = 0;
    n.maxShareFree = 0;
    n.modes.forEach((mode, i) => {
      if (mode === 'free') n.freeDevices += 1;
      if (mode !== 'whole') n.maxShareFree = Math.max(n.maxShareFree, MILLI_PER_GPU - (n.used[i] ?? 0));
    });
    n.key = stateKey(n);
    let group = this.byKey.get(n.key);
    if (!group) {
      const slot = this.freeSlots.pop() ?? this.usedSlots++;
      group = { key: n.key, members: [], slot };
      this.byKey.set(n.key, group);
      this.slots[slot] = group;
      this.slotGeneration[slot] = (this.slotGeneration[slot] ?? 0) + 1;
    }
    n.group = group;
    n.pos = group.members.length;
    group.members.push(n);
  }
}
