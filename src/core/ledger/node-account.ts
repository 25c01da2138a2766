// The device accounts of one node: what is used on each device, whether it is given whole or
// shared, the fit check that keeps every device within its milli and memory, and which pods hold
// its devices. The ledger owns one per node; it knows nothing of pods beyond their UIDs and the
// assignments applied to it.
import { formatBytes } from '../quantity.js';
import {
  MILLI_PER_GPU,
  type Assignment,
  type DeviceState,
  type NodeGpuState,
  type NodeInventory,
} from '../types.js';

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

/**
 * The device after adding (+1) or removing (-1) one share of `a`. A device given whole holds one
 * pod; a shared one holds shares of at least 1 milli each (assignment-shape.ts), so its used milli
 * tells whether any remain: no holder counts are needed.
 */
function afterShare(
  device: DeviceState,
  a: Assignment,
  milli: number,
  memoryBytes: number,
  sign: 1 | -1,
): DeviceState {
  if (a.whole) {
    const usedMilli = device.usedMilli + sign * MILLI_PER_GPU;
    const usedMemory = device.usedMemoryBytes + sign * device.memoryBytes;
    const mode = sign > 0 ? 'whole' : usedMilli > 0 ? 'shared' : 'free';
    return deviceState(device.index, device.memoryBytes, usedMilli, usedMemory, mode);
  }
  const usedMilli = device.usedMilli + sign * milli;
  const usedMemory = device.usedMemoryBytes + sign * memoryBytes;
  const mode = device.mode === 'whole' ? 'whole' : usedMilli > 0 ? 'shared' : 'free';
  return deviceState(device.index, device.memoryBytes, usedMilli, usedMemory, mode);
}

const NO_HOLDERS: readonly string[] = Object.freeze([]);

/**
 * The node's state is the account: one frozen NodeGpuState of shared device states, replaced on
 * every change (filter reads it per node per call, and its identity tells callers it changed).
 * Counters beside it, and the pods in a second Map and a list with room to grow, cost ~300 B more
 * heap per node (bench:extender, 8 pods per node).
 */
export class NodeAccount {
  private current: NodeGpuState;
  private holderUids: readonly string[] = NO_HOLDERS;

  constructor(inventory: NodeInventory) {
    const devices = inventory.devices.map((spec) => deviceState(spec.index, spec.memoryBytes, 0, 0, 'free'));
    this.current = Object.freeze({ inventory, devices: Object.freeze(devices) });
  }

  get inventory(): NodeInventory {
    return this.current.inventory;
  }

  /** Position of the device in the node's device list, or -1 when the node has no such device. */
  private position(index: number): number {
    const devices = this.current.devices;
    for (let i = 0; i < devices.length; i++) if (devices[i]?.index === index) return i;
    return -1;
  }

  /** Why `a` cannot be applied on top of the current use, or undefined when it fits. */
  fitProblem(a: Assignment): string | undefined {
    const node = this.current.inventory.name;
    for (const share of a.devices) {
      const device = this.current.devices[this.position(share.index)];
      if (device === undefined) return `node ${node} has no device ${share.index}`;
      if (device.mode === 'whole')
        return `device ${share.index} on node ${node} is given whole to another pod`;
      if (a.whole) {
        if (device.mode === 'shared') {
          return `device ${share.index} on node ${node} holds fractions (${device.usedMilli}m used), pod needs it whole`;
        }
        continue;
      }
      const freeMilli = MILLI_PER_GPU - device.usedMilli;
      if (share.milli > freeMilli) {
        return `device ${share.index} on node ${node} has ${freeMilli}m free, pod needs ${share.milli}m`;
      }
      const memory = device.memoryBytes;
      if (memory > 0 && device.usedMemoryBytes + share.memoryBytes > memory) {
        const free = formatBytes(memory - device.usedMemoryBytes);
        return `device ${share.index} on node ${node} has ${free} memory free, pod needs ${formatBytes(share.memoryBytes)}`;
      }
    }
    return undefined;
  }

  /** Adds (+1) or removes (-1) an assignment. Callers check fitProblem first when adding. */
  apply(a: Assignment, sign: 1 | -1): void {
    let devices: DeviceState[] | undefined;
    for (const share of a.devices) {
      const at = this.position(share.index);
      const device = this.current.devices[at];
      if (device === undefined) continue;
      devices ??= [...this.current.devices];
      devices[at] = afterShare(devices[at] ?? device, a, share.milli, share.memoryBytes, sign);
    }
    if (devices === undefined) return;
    this.current = Object.freeze({ inventory: this.current.inventory, devices: Object.freeze(devices) });
  }

  /** Immutable view, the same object until the next change (nodeState is called per node per filter). */
  state(): NodeGpuState {
    return this.current;
  }

  /** Pods holding devices here (counted or displaced), in arrival order. */
  holders(): readonly string[] {
    return this.holderUids;
  }

  /**
   * The list is replaced, never grown in place, and built with concat and slice, which allocate the
   * exact size (push and spread leave room to grow: ~120 B more per node at 8 pods).
   */
  addHolder(uid: string): void {
    if (!this.holderUids.includes(uid)) this.holderUids = this.holderUids.concat(uid);
  }

  dropHolder(uid: string): void {
    const at = this.holderUids.indexOf(uid);
    if (at >= 0) this.holderUids = this.holderUids.slice(0, at).concat(this.holderUids.slice(at + 1));
  }

  /** Takes over the holders of the account this one replaces (a new inventory for the same node). */
  adoptHolders(previous: NodeAccount): void {
    this.holderUids = previous.holderUids;
  }
}
