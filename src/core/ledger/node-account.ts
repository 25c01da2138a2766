// The device accounts of one node: what is used on each device, whether it is given whole or
// shared, and the fit check that keeps every device within its milli and memory. The ledger owns
// one per node; it knows nothing of pods beyond the assignments applied to it.
import { formatBytes } from '../quantity.js';
import {
  MILLI_PER_GPU,
  type Assignment,
  type DeviceSpec,
  type DeviceState,
  type NodeGpuState,
  type NodeInventory,
} from '../types.js';

interface DeviceAccount {
  readonly spec: DeviceSpec;
  usedMilli: number;
  usedMemoryBytes: number;
  /** Pods holding the device whole (0 or 1). */
  wholeHolders: number;
  /** Pods holding a fraction of the device. */
  shareHolders: number;
}

export class NodeAccount {
  readonly inventory: NodeInventory;
  /** UIDs of the holdings applied here. */
  readonly uids = new Set<string>();
  private readonly devices = new Map<number, DeviceAccount>();
  private cached: NodeGpuState | undefined;

  constructor(inventory: NodeInventory) {
    this.inventory = inventory;
    for (const spec of inventory.devices) {
      this.devices.set(spec.index, {
        spec,
        usedMilli: 0,
        usedMemoryBytes: 0,
        wholeHolders: 0,
        shareHolders: 0,
      });
    }
  }

  /** Why `a` cannot be applied on top of the current use, or undefined when it fits. */
  fitProblem(a: Assignment): string | undefined {
    const node = this.inventory.name;
    for (const share of a.devices) {
      const device = this.devices.get(share.index);
      if (device === undefined) return `node ${node} has no device ${share.index}`;
      if (device.wholeHolders > 0)
        return `device ${share.index} on node ${node} is given whole to another pod`;
      if (a.whole) {
        if (device.shareHolders > 0) {
          return `device ${share.index} on node ${node} holds fractions (${device.usedMilli}m used), pod needs it whole`;
        }
        continue;
      }
      const freeMilli = MILLI_PER_GPU - device.usedMilli;
      if (share.milli > freeMilli) {
        return `device ${share.index} on node ${node} has ${freeMilli}m free, pod needs ${share.milli}m`;
      }
      const memory = device.spec.memoryBytes;
      if (memory > 0 && device.usedMemoryBytes + share.memoryBytes > memory) {
        const free = formatBytes(memory - device.usedMemoryBytes);
        return `device ${share.index} on node ${node} has ${free} memory free, pod needs ${formatBytes(share.memoryBytes)}`;
      }
    }
    return undefined;
  }

  /** Adds (+1) or removes (-1) an assignment. Callers check fitProblem first when adding. */
  apply(a: Assignment, sign: 1 | -1): void {
    for (const share of a.devices) {
      const device = this.devices.get(share.index);
      if (device === undefined) continue;
      if (a.whole) {
        device.wholeHolders += sign;
        device.usedMilli += sign * MILLI_PER_GPU;
        device.usedMemoryBytes += sign * device.spec.memoryBytes;
      } else {
        device.shareHolders += sign;
        device.usedMilli += sign * share.milli;
        device.usedMemoryBytes += sign * share.memoryBytes;
      }
    }
    this.cached = undefined;
  }

  /** Immutable view, rebuilt only after a change (nodeState is called per node per filter). */
  state(): NodeGpuState {
    if (this.cached !== undefined) return this.cached;
    const devices: DeviceState[] = [];
    for (const d of this.devices.values()) {
      const mode = d.wholeHolders > 0 ? 'whole' : d.shareHolders > 0 ? 'shared' : 'free';
      devices.push(
        Object.freeze({
          index: d.spec.index,
          memoryBytes: d.spec.memoryBytes,
          usedMilli: d.usedMilli,
          usedMemoryBytes: d.usedMemoryBytes,
          mode,
        }),
      );
    }
    this.cached = Object.freeze({ inventory: this.inventory, devices: Object.freeze(devices) });
    return this.cached;
  }
}
