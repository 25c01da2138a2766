// Nodes that look alike to placement share one answer per pod shape. Whether a pod fits a node, and
// which of its devices a policy scored by free view prefers, depend only on the node's GPU model,
// cordon, host resources and the multiset of its device states (mode, used milli, used and total
// memory; a device no pod can take anything of is one state whatever its memory), not on the node's
// name or which index holds which state. A 5000-node cluster holds a few hundred such classes, so
// the first pod of a new shape evaluates each class once, not each node.
// (A node whose NVLink islands do not split its devices exactly keys by index: device-fit counts
// whole-GPU room per island, so there the index matters.)
import { MILLI_PER_GPU, type DeviceState, type NodeGpuState, type NodeInventory } from '../../core/types.js';

/**
 * A device no pod can take anything of: given whole, or shared with every milli used. Such devices
 * are alike whatever their memory: no share fits (a share takes at least 1 milli), no whole-GPU pod
 * takes them, and policies scored by free view see 0 free milli on both.
 */
function isFull(device: DeviceState): boolean {
  return device.mode === 'whole' || (device.mode === 'shared' && device.usedMilli === MILLI_PER_GPU);
}

const FULL = 'full';

/** A device's state apart from its index: two devices with equal signatures take a pod alike. */
export function deviceSignature(device: DeviceState): string {
  if (isFull(device)) return FULL;
  return `${device.mode}:${device.usedMilli}:${device.usedMemoryBytes}:${device.memoryBytes}`;
}

/** No islands, or islands that split the devices exactly (each device in exactly one island). */
function islandsCoverDevices(inventory: NodeInventory): boolean {
  if (inventory.islands.length === 0) return true;
  const inIslands = inventory.islands.flat();
  const distinct = new Set(inIslands);
  return (
    distinct.size === inIslands.length &&
    inIslands.length === inventory.devices.length &&
    inventory.devices.every((d) => distinct.has(d.index))
  );
}

/** Past this many classes the index starts afresh (ids are handed out from 0 again). */
const MAX_CLASSES = 65_536;

/**
 * Interns node classes as small integers, so per-class answers live in arrays indexed by class id.
 * Ids are dense from 0; when the index starts afresh, `onReset` is called first: every id handed
 * out before then means nothing any more.
 */
export class NodeClasses {
  readonly #ids = new Map<string, number>();
  readonly #onReset: () => void;
  readonly #maxClasses: number;
  readonly #signatures = new WeakMap<DeviceState, string>();
  /** Per inventory: whether its islands are empty or cover every device (indices then do not matter). */
  readonly #islandsCover = new WeakMap<NodeInventory, boolean>();

  constructor(onReset: () => void = () => undefined, maxClasses = MAX_CLASSES) {
    this.#onReset = onReset;
    this.#maxClasses = maxClasses;
  }

  /** The class id of the node's current state. */
  idOf(node: NodeGpuState): number {
    const key = this.#keyOf(node);
    let id = this.#ids.get(key);
    if (id === undefined) {
      if (this.#ids.size >= this.#maxClasses) {
        this.#ids.clear();
        this.#onReset();
      }
      id = this.#ids.size;
      this.#ids.set(key, id);
    }
    return id;
  }

  /** deviceSignature, remembered per (interned, immutable) device state. */
  signature(device: DeviceState): string {
    let signature = this.#signatures.get(device);
    if (signature === undefined) {
      signature = deviceSignature(device);
      this.#signatures.set(device, signature);
    }
    return signature;
  }

  /** Distinct classes interned so far (for tests and benchmarks). */
  size(): number {
    return this.#ids.size;
  }

  #keyOf(node: NodeGpuState): string {
    const inventory = node.inventory;
    let covered = this.#islandsCover.get(inventory);
    if (covered === undefined) {
      covered = islandsCoverDevices(inventory);
      this.#islandsCover.set(inventory, covered);
    }
    const signatures: string[] = [];
    const devices = node.devices;
    for (let i = 0; i < devices.length; i++) {
      const device = devices[i]!;
      const signature = this.signature(device);
      signatures.push(covered ? signature : `${device.index}=${signature}`);
    }
    // Sorted: which index holds which state does not matter, unless islands leave a device out.
    if (covered) signatures.sort();
    else signatures.push(`islands ${JSON.stringify(inventory.islands)}`);
    const host = node.host;
    const hostKey = host
      ? `${host.cpuMilli}/${host.cpuMilliUsed}/${host.memoryBytes}/${host.memoryBytesUsed}`
      : '-';
    return `${inventory.model}\u0000${inventory.unschedulable ? 1 : 0}\u0000${hostKey}\u0000${signatures.join(',')}`;
  }
}
