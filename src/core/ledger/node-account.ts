// The device accounts of one node: what is used on each device, whether it is given whole or
// shared, and the fit check that keeps every device within its milli and memory. The ledger owns
// one per node; it knows nothing of pods beyond the assignments applied to it.
import { formatBytes } from '../quantity.js';
import {
  MILLI_PER_GPU,
  type Assignment,
  type DeviceState,
  type NodeGpuState,
  type NodeInventory,
} from '../types.js';

/**
 * Two numbers per device, side by side in one array (a Map of objects per node cost ~3x more heap,
 * four numbers per device ~130 B more per node): the counters packed into one small integer, and
 * the memory in use.
 */
const COUNTERS = 0;
const USED_MEMORY = 1;
const FIELDS = 2;

/**
 * Packing of the counters: used milli (fitProblem keeps it at most 1000, below MILLI_SPAN), pods
 * holding the device whole (fitProblem keeps it 0 or 1) and pods holding a fraction (the rest).
 * Exact integers whatever the count; a small integer (no boxed number) below 262 144 holders.
 */
const MILLI_SPAN = 2048;
const WHOLE_UNIT = MILLI_SPAN;
const SHARE_UNIT = 2 * MILLI_SPAN;

function usedMilliOf(counters: number): number {
  return counters % MILLI_SPAN;
}

function wholeHoldersOf(counters: number): number {
  return Math.floor(counters / WHOLE_UNIT) % 2;
}

function shareHoldersOf(counters: number): number {
  return Math.floor(counters / SHARE_UNIT);
}

/**
 * Device states are immutable and repeat across nodes (every free 80 GiB device 0 looks alike), so
 * states are shared through this table: ~100 B per device instead of one object per device per
 * node. Bounded: when full it starts afresh (states already handed out stay valid).
 */
const sharedDeviceStates = new Map<string, DeviceState>();
const MAX_SHARED_DEVICE_STATES = 65_536;

function deviceState(
  index: number,
  memoryBytes: number,
  usedMilli: number,
  usedMemoryBytes: number,
  mode: DeviceState['mode'],
): DeviceState {
  const key = `${index}|${memoryBytes}|${usedMilli}|${usedMemoryBytes}|${mode}`;
  let state = sharedDeviceStates.get(key);
  if (state === undefined) {
    if (sharedDeviceStates.size >= MAX_SHARED_DEVICE_STATES) sharedDeviceStates.clear();
    state = Object.freeze({ index, memoryBytes, usedMilli, usedMemoryBytes, mode });
    sharedDeviceStates.set(key, state);
  }
  return state;
}

export class NodeAccount {
  readonly inventory: NodeInventory;
  /** FIELDS numbers per device, devices in inventory order. */
  private readonly use: number[];
  private cached: NodeGpuState | undefined;

  constructor(inventory: NodeInventory) {
    this.inventory = inventory;
    this.use = new Array<number>(inventory.devices.length * FIELDS).fill(0);
  }

  /** Offset of the device's numbers in `use`, or -1 when the node has no such device. */
  private offset(index: number): number {
    const devices = this.inventory.devices;
    for (let i = 0; i < devices.length; i++) if (devices[i]?.index === index) return i * FIELDS;
    return -1;
  }

  private at(offset: number, field: number): number {
    return this.use[offset + field] ?? 0;
  }

  /** Why `a` cannot be applied on top of the current use, or undefined when it fits. */
  fitProblem(a: Assignment): string | undefined {
    const node = this.inventory.name;
    for (const share of a.devices) {
      const o = this.offset(share.index);
      if (o < 0) return `node ${node} has no device ${share.index}`;
      const counters = this.at(o, COUNTERS);
      if (wholeHoldersOf(counters) > 0)
        return `device ${share.index} on node ${node} is given whole to another pod`;
      const usedMilli = usedMilliOf(counters);
      if (a.whole) {
        if (shareHoldersOf(counters) > 0) {
          return `device ${share.index} on node ${node} holds fractions (${usedMilli}m used), pod needs it whole`;
        }
        continue;
      }
      const freeMilli = MILLI_PER_GPU - usedMilli;
      if (share.milli > freeMilli) {
        return `device ${share.index} on node ${node} has ${freeMilli}m free, pod needs ${share.milli}m`;
      }
      const memory = this.inventory.devices[o / FIELDS]?.memoryBytes ?? 0;
      const usedMemory = this.at(o, USED_MEMORY);
      if (memory > 0 && usedMemory + share.memoryBytes > memory) {
        const free = formatBytes(memory - usedMemory);
        return `device ${share.index} on node ${node} has ${free} memory free, pod needs ${formatBytes(share.memoryBytes)}`;
      }
    }
    return undefined;
  }

  /** Adds (+1) or removes (-1) an assignment. Callers check fitProblem first when adding. */
  apply(a: Assignment, sign: 1 | -1): void {
    const use = this.use;
    for (const share of a.devices) {
      const o = this.offset(share.index);
      if (o < 0) continue;
      // Counters change by whole units and milli together, so they never borrow from each other:
      // a removal only undoes what an earlier addition of the same assignment added.
      if (a.whole) {
        use[o + COUNTERS] = this.at(o, COUNTERS) + sign * (WHOLE_UNIT + MILLI_PER_GPU);
        const memory = this.inventory.devices[o / FIELDS]?.memoryBytes ?? 0;
        use[o + USED_MEMORY] = this.at(o, USED_MEMORY) + sign * memory;
      } else {
        use[o + COUNTERS] = this.at(o, COUNTERS) + sign * (SHARE_UNIT + share.milli);
        use[o + USED_MEMORY] = this.at(o, USED_MEMORY) + sign * share.memoryBytes;
      }
    }
    this.cached = undefined;
  }

  /** Immutable view, rebuilt only after a change (nodeState is called per node per filter). */
  state(): NodeGpuState {
    if (this.cached !== undefined) return this.cached;
    const devices: DeviceState[] = this.inventory.devices.map((spec, i) => {
      const o = i * FIELDS;
      const counters = this.at(o, COUNTERS);
      const mode = wholeHoldersOf(counters) > 0 ? 'whole' : shareHoldersOf(counters) > 0 ? 'shared' : 'free';
      return deviceState(spec.index, spec.memoryBytes, usedMilliOf(counters), this.at(o, USED_MEMORY), mode);
    });
    this.cached = Object.freeze({ inventory: this.inventory, devices: Object.freeze(devices) });
    return this.cached;
  }
}
