// Free GPU capacity of one topology domain, kept as sums of per-node contributions so a node change
// costs O(levels) and "which domains can host this gang" costs O(domains), not O(nodes).
import { MILLI_PER_GPU, type NodeGpuState } from '../types.js';

/** Width of one bucket of the per-device free-milli histogram; bucket 10 holds fully free devices. */
export const FREE_MILLI_BUCKET = 100;
const BUCKETS = MILLI_PER_GPU / FREE_MILLI_BUCKET + 1;

/** What one node adds to the summaries of the domains it belongs to. */
export interface NodeCapacity {
  readonly freeWhole: number;
  readonly freeMilli: number;
  /** Devices per free-milli bucket: index floor(freeMilli / 100). */
  readonly deviceBuckets: readonly number[];
}

export const NO_CAPACITY: NodeCapacity = Object.freeze({
  freeWhole: 0,
  freeMilli: 0,
  deviceBuckets: Object.freeze(new Array<number>(BUCKETS).fill(0)),
});

/**
 * Capacities are immutable and repeat across nodes, so equal ones are shared (one per node cost
 * ~90 B). Bounded: when full the table starts afresh (capacities handed out stay valid).
 */
const sharedCapacities = new Map<string, NodeCapacity>();
const MAX_SHARED_CAPACITIES = 65_536;

/** A cordoned node, or one the ledger does not know, offers nothing. */
export function nodeCapacity(state: NodeGpuState | undefined): NodeCapacity {
  if (state === undefined || state.inventory.unschedulable) return NO_CAPACITY;
  let freeWhole = 0;
  let freeMilli = 0;
  const deviceBuckets = new Array<number>(BUCKETS).fill(0);
  for (const d of state.devices) {
    const free = d.mode === 'whole' ? 0 : MILLI_PER_GPU - d.usedMilli;
    if (d.mode === 'free') freeWhole += 1;
    freeMilli += free;
    const bucket = Math.floor(free / FREE_MILLI_BUCKET);
    deviceBuckets[bucket] = (deviceBuckets[bucket] ?? 0) + 1;
  }
  const key = `${freeWhole}|${freeMilli}|${deviceBuckets.join(',')}`;
  let capacity = sharedCapacities.get(key);
  if (capacity === undefined) {
    if (sharedCapacities.size >= MAX_SHARED_CAPACITIES) sharedCapacities.clear();
    capacity = Object.freeze({ freeWhole, freeMilli, deviceBuckets: Object.freeze(deviceBuckets) });
    sharedCapacities.set(key, capacity);
  }
  return capacity;
}

export interface DomainSummary {
  readonly nodeCount: number;
  readonly freeWholeDevices: number;
  /** Free milli over all shareable devices (fully free devices count 1000). */
  readonly freeMilli: number;
  /** Nodes with at least `k` free whole devices. */
  nodesWithFreeWhole(k: number): number;
  /** The most free whole devices on any one node of the domain. */
  maxFreeWholeOnNode(): number;
  /** Devices certain to have at least `milli` free (bucketed, so a lower bound). */
  devicesWithFreeMilli(milli: number): number;
  /** Plain copy of every figure, for logs and for comparing against a recomputation. */
  toJSON(): DomainSummaryFigures;
}

export interface DomainSummaryFigures {
  readonly nodeCount: number;
  readonly freeWholeDevices: number;
  readonly freeMilli: number;
  /** [f] = nodes with exactly f free whole devices (no trailing zeros). */
  readonly nodesByFreeWhole: readonly number[];
  readonly deviceBuckets: readonly number[];
}

export class MutableDomainSummary implements DomainSummary {
  nodeCount = 0;
  freeWholeDevices = 0;
  freeMilli = 0;
  private readonly nodesByFreeWhole: number[] = [];
  private readonly deviceBuckets = new Array<number>(BUCKETS).fill(0);

  /** Adds (+1) or removes (-1) one node's contribution. */
  add(capacity: NodeCapacity, sign: 1 | -1): void {
    this.nodeCount += sign;
    this.freeWholeDevices += sign * capacity.freeWhole;
    this.freeMilli += sign * capacity.freeMilli;
    const f = capacity.freeWhole;
    while (this.nodesByFreeWhole.length <= f) this.nodesByFreeWhole.push(0);
    this.nodesByFreeWhole[f] = (this.nodesByFreeWhole[f] ?? 0) + sign;
    while (
      this.nodesByFreeWhole.length > 0 &&
      this.nodesByFreeWhole[this.nodesByFreeWhole.length - 1] === 0
    ) {
      this.nodesByFreeWhole.pop();
    }
    capacity.deviceBuckets.forEach((count, i) => {
      this.deviceBuckets[i] = (this.deviceBuckets[i] ?? 0) + sign * count;
    });
  }

  nodesWithFreeWhole(k: number): number {
    let count = 0;
    for (let f = Math.max(0, Math.ceil(k)); f < this.nodesByFreeWhole.length; f++) {
      count += this.nodesByFreeWhole[f] ?? 0;
    }
    return count;
  }

  maxFreeWholeOnNode(): number {
    return Math.max(0, this.nodesByFreeWhole.length - 1);
  }

  devicesWithFreeMilli(milli: number): number {
    let count = 0;
    for (let b = 0; b < BUCKETS; b++) {
      if (b * FREE_MILLI_BUCKET >= milli) count += this.deviceBuckets[b] ?? 0;
    }
    return count;
  }

  toJSON(): DomainSummaryFigures {
    return {
      nodeCount: this.nodeCount,
      freeWholeDevices: this.freeWholeDevices,
      freeMilli: this.freeMilli,
      nodesByFreeWhole: [...this.nodesByFreeWhole],
      deviceBuckets: [...this.deviceBuckets],
    };
  }
}

/**
 * The summary of a one-node domain (the "node" level), read from the node's contribution instead of
 * kept per node: the figures MutableDomainSummary would hold for that node alone.
 */
export function singleNodeSummary(capacity: NodeCapacity): DomainSummary {
  const f = capacity.freeWhole;
  return {
    nodeCount: 1,
    freeWholeDevices: f,
    freeMilli: capacity.freeMilli,
    nodesWithFreeWhole: (k) => (f >= Math.max(0, Math.ceil(k)) ? 1 : 0),
    maxFreeWholeOnNode: () => f,
    devicesWithFreeMilli(milli) {
      let count = 0;
      capacity.deviceBuckets.forEach((n, b) => {
        if (b * FREE_MILLI_BUCKET >= milli) count += n;
      });
      return count;
    },
    toJSON: () => ({
      nodeCount: 1,
      freeWholeDevices: f,
      freeMilli: capacity.freeMilli,
      nodesByFreeWhole: Array.from({ length: f + 1 }, (_, i) => (i === f ? 1 : 0)),
      deviceBuckets: [...capacity.deviceBuckets],
    }),
  };
}
