// Nodes that look alike to placement share one answer per pod shape. Whether a pod fits a node, and
// which of its devices a policy scored by free view prefers, depend only on the node's GPU model,
// cordon, host resources and the multiset of its device states (mode, used milli, used and total
// memory), not on the node's name or which index holds which state. A 5000-node cluster holds a few
// hundred such classes, so the first pod of a new shape evaluates each class once, not each node.
// (A node whose NVLink islands do not split its devices exactly keys by index: device-fit counts
// whole-GPU room per island, so there the index matters.)
import type { DeviceState, NodeGpuState, NodeInventory } from '../../core/types.js';

/** A device's state apart from its index: two devices with equal signatures take a pod alike. */
export function deviceSignature(device: DeviceState): string {
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

/**
 * One class of nodes, carrying its users' per-class answers (so they die with it). Plain fields,
 * not WeakMaps keyed by classes: ephemeron tables made each garbage collection markedly slower.
 */
export class NodeClass<Answers> {
  readonly key: string;
  readonly answers: Answers;

  constructor(key: string, answers: Answers) {
    this.key = key;
    this.answers = answers;
  }
}

/** Past this many classes the index starts afresh (classes already handed out stay valid). */
const MAX_CLASSES = 65_536;

/**
 * Interns node classes. A node state object maps to its class once (the ledger hands out the same
 * object until the node changes), so a lookup per node per verb is one WeakMap access.
 */
export class NodeClasses<Answers> {
  readonly #byKey = new Map<string, NodeClass<Answers>>();
  readonly #byState = new WeakMap<NodeGpuState, NodeClass<Answers>>();
  readonly #newAnswers: () => Answers;
  readonly #signatures = new WeakMap<DeviceState, string>();
  /** Per inventory: whether its islands are empty or cover every device (indices then do not matter). */
  readonly #islandsCover = new WeakMap<NodeInventory, boolean>();

  /** `newAnswers` makes the answers object of each new class. */
  constructor(newAnswers: () => Answers) {
    this.#newAnswers = newAnswers;
  }

  of(node: NodeGpuState): NodeClass<Answers> {
    let cls = this.#byState.get(node);
    if (cls === undefined) {
      const key = this.#keyOf(node);
      cls = this.#byKey.get(key);
      if (cls === undefined) {
        if (this.#byKey.size >= MAX_CLASSES) this.#byKey.clear();
        cls = new NodeClass(key, this.#newAnswers());
        this.#byKey.set(key, cls);
      }
      this.#byState.set(node, cls);
    }
    return cls;
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
    return this.#byKey.size;
  }

  #keyOf(node: NodeGpuState): string {
    const inventory = node.inventory;
    let covered = this.#islandsCover.get(inventory);
    if (covered === undefined) {
      covered = islandsCoverDevices(inventory);
      this.#islandsCover.set(inventory, covered);
    }
    const signatures: string[] = [];
    for (const device of node.devices) {
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
