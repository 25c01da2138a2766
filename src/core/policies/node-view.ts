// What a node has left, reduced to the numbers placement policies compare: GPU model, host CPU and
// memory, and free milli per device. Also the same view after a candidate assignment is applied,
// so a policy can score "before" and "after" without touching the ledger.
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

function deviceFree(mode: string, usedMilli: number): number {
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

/** The node as it would be with the candidate placed on it. */
export function freeViewAfter(candidate: Candidate): FreeView {
  const { node, assignment, demand } = candidate;
  const host = node.host;
  const free = new Array<number>(node.devices.length);
  for (let i = 0; i < free.length; i++) {
    const d = node.devices[i]!;
    const share = shareFor(assignment.devices, d.index);
    const left = deviceFree(d.mode, d.usedMilli);
    free[i] = share === undefined ? left : left - share.milli;
  }
  return {
    model: node.inventory.model,
    cpuFree: host ? host.cpuMilli - host.cpuMilliUsed - (demand.cpuMilli ?? 0) : Infinity,
    memFree: host ? host.memoryBytes - host.memoryBytesUsed - (demand.memoryBytes ?? 0) : Infinity,
    freeMilli: free.sort(ascending),
  };
}

/** The first share naming the device, as freeViewAfter takes it (a plain loop: called per device). */
function shareFor(shares: readonly DeviceShare[], index: number): DeviceShare | undefined {
  for (const share of shares) if (share.index === index) return share;
  return undefined;
}

/** totalFreeMilli(freeView(node)), without building the view. */
export function freeMilliOf(node: NodeGpuState): number {
  let sum = 0;
  for (const d of node.devices) sum += deviceFree(d.mode, d.usedMilli);
  return sum;
}

/** totalFreeMilli(freeViewAfter(candidate)), without building the view. */
export function freeMilliAfter(candidate: Candidate): number {
  const shares = candidate.assignment.devices;
  let sum = 0;
  for (const d of candidate.node.devices) {
    sum += deviceFree(d.mode, d.usedMilli);
    const share = shareFor(shares, d.index);
    if (share !== undefined) sum -= share.milli;
  }
  return sum;
}

/**
 * What the candidate changes on its node's devices: (free milli before, milli taken) per device it
 * uses. Two candidates whose nodes have the same viewKey and whose demands have the same pod type
 * lead to equal after-views when these strings are equal, so fragmentation results can be shared
 * between nodes of the same state.
 */
export function deviceChangeKey(candidate: Candidate): string {
  const shares = candidate.assignment.devices;
  let key = '';
  for (const d of candidate.node.devices) {
    const share = shareFor(shares, d.index);
    if (share !== undefined) key += `${deviceFree(d.mode, d.usedMilli)}-${share.milli},`;
  }
  return key;
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
  for (const f of view.freeMilli) sum += f;
  return sum;
}

/** A string equal for two views exactly when fragmentation cannot tell them apart. */
export function viewKey(view: FreeView): string {
  return `${view.model}|${view.cpuFree}|${view.memFree}|${view.freeMilli.join(',')}`;
}
