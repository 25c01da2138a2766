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

/** Numbers kept per device, side by side in one array (a Map of objects per node cost ~3x more heap). */
const USED_MILLI = 0;
const USED_MEMORY = 1;
/** Pods holding the device whole (0 or 1). */
const WHOLE_HOLDERS = 2;
/** Pods holding a fraction of the device. */
const SHARE_HOLDERS = 3;
const FIELDS = 4;

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
      if (this.at(o, WHOLE_HOLDERS) > 0)
        return `device ${share.index} on node ${node} is given whole to another pod`;
      const usedMilli = this.at(o, USED_MILLI);
      if (a.whole) {
        if (this.at(o, SHARE_HOLDERS) > 0) {
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
      if (a.whole) {
        use[o + WHOLE_HOLDERS] = this.at(o, WHOLE_HOLDERS) + sign;
        use[o + USED_MILLI] = this.at(o, USED_MILLI) + sign * MILLI_PER_GPU;
        const memory = this.inventory.devices[o / FIELDS]?.memoryBytes ?? 0;
        use[o + USED_MEMORY] = this.at(o, USED_MEMORY) + sign * memory;
      } else {
        use[o + SHARE_HOLDERS] = this.at(o, SHARE_HOLDERS) + sign;
        use[o + USED_MILLI] = this.at(o, USED_MILLI) + sign * share.milli;
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
      const mode =
        this.at(o, WHOLE_HOLDERS) > 0 ? 'whole' : this.at(o, SHARE_HOLDERS) > 0 ? 'shared' : 'free';
      return deviceState(spec.index, spec.memoryBytes, this.at(o, USED_MILLI), this.at(o, USED_MEMORY), mode);
    });
    this.cached = Object.freeze({ inventory: this.inventory, devices: Object.freeze(devices) });
    return this.cached;
  }
}
