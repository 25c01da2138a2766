// What a node has left, reduced to the numbers placement policies compare: GPU model, host CPU and
// memory, and free milli per device; and what a candidate assignment would leave, read from the node
// and the candidate without touching the ledger.
import type { Candidate } from './policy.js';
import { MILLI_PER_GPU, type DeviceShare, type NodeGpuState } from '../types.js';

export interface FreeView {
  readonly model: string;
  /** Host CPU and memory left; Infinity where the caller does not track host resources. */
  readonly cpuFree: number;
  readonly memFree: number;
  /** Free milli per device, ascending (fragmentation does not depend on device order). */
  readonly freeMilli: readonly number[];
}

export interface NodeCapacity {
  readonly cpu: number;
  readonly mem: number;
  readonly gpuMilli: number;
}

/** Free milli of a device: none when given whole. */
export function deviceFree(mode: string, usedMilli: number): number {
  return mode === 'whole' ? 0 : MILLI_PER_GPU - usedMilli;
}

const ascending = (a: number, b: number): number => a - b;

/** The node as it is now. */
export function freeView(node: NodeGpuState): FreeView {
  const host = node.host;
  return {
    model: node.inventory.model,
    cpuFree: host ? host.cpuMilli - host.cpuMilliUsed : Infinity,
    memFree: host ? host.memoryBytes - host.memoryBytesUsed : Infinity,
    freeMilli: node.devices.map((d) => deviceFree(d.mode, d.usedMilli)).sort(ascending),
  };
}

/** The first share naming the device (a plain loop: called per device). */
export function shareFor(shares: readonly DeviceShare[], index: number): DeviceShare | undefined {
  for (let i = 0; i < shares.length; i++) if (shares[i]!.index === index) return shares[i];
  return undefined;
}

/** Free milli over the node's devices with the candidate placed. */
export function freeMilliAfter(candidate: Candidate): number {
  const shares = candidate.assignment.devices;
  let sum = 0;
  const devices = candidate.node.devices;
  // Indexed: per candidate, often in code V8 has not optimised, where for-of allocates per element.
  for (let i = 0; i < devices.length; i++) {
    const d = devices[i]!;
    sum += deviceFree(d.mode, d.usedMilli);
    const share = shareFor(shares, d.index);
    if (share !== undefined) sum -= share.milli;
  }
  return sum;
}

/** Total capacity; host dimensions are 0 when untracked. */
export function nodeCapacity(node: NodeGpuState): NodeCapacity {
  return {
    cpu: node.host?.cpuMilli ?? 0,
    mem: node.host?.memoryBytes ?? 0,
    gpuMilli: node.devices.length * MILLI_PER_GPU,
  };
}

export function totalFreeMilli(view: FreeView): number {
  let sum = 0;
  const free = view.freeMilli;
  for (let i = 0; i < free.length; i++) sum += free[i]!;
  return sum;
}
