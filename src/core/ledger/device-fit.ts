// Which devices of one node can take a pod's GPU demand, and, when none can, why. Called per node
// per filter, so it works on the cached NodeGpuState and keeps the candidate list short.
import { formatBytes, formatMilli } from '../quantity.js';
import {
  MILLI_PER_GPU,
  type Assignment,
  type DeviceShare,
  type DeviceState,
  type NodeGpuState,
  type PodDemand,
} from '../types.js';

/** Milli a memory-only request takes on a device, or undefined when the device memory is unknown. */
export function memoryShareMilli(memoryBytes: number, deviceMemoryBytes: number): number | undefined {
  if (deviceMemoryBytes <= 0) return undefined;
  return Math.max(1, Math.ceil((MILLI_PER_GPU * memoryBytes) / deviceMemoryBytes));
}

function modelAllowed(node: NodeGpuState, demand: PodDemand): boolean {
  const models = demand.models;
  return models === undefined || models.length === 0 || models.includes(node.inventory.model);
}

/** A share that fits on a device next to what it already holds, or undefined. */
function shareOn(device: DeviceState, demand: PodDemand): DeviceShare | undefined {
  if (device.mode === 'whole') return undefined;
  const gpu = demand.gpu;
  let milli: number;
  let memoryBytes: number;
  if (gpu.kind === 'fraction') {
    milli = gpu.milli;
    memoryBytes = gpu.memoryBytes ?? 0;
  } else if (gpu.kind === 'memory') {
    const derived = memoryShareMilli(gpu.memoryBytes, device.memoryBytes);
    if (derived === undefined) return undefined;
    milli = derived;
    memoryBytes = gpu.memoryBytes;
  } else {
    return undefined;
  }
  if (device.usedMilli + milli > MILLI_PER_GPU) return undefined;
  if (device.memoryBytes > 0 && device.usedMemoryBytes + memoryBytes > device.memoryBytes) return undefined;
  return { index: device.index, milli, memoryBytes };
}

function wholeAssignment(node: string, indices: readonly number[]): Assignment {
  return {
    node,
    whole: true,
    devices: indices.map((index) => ({ index, milli: MILLI_PER_GPU, memoryBytes: 0 })),
  };
}

/** Free device indices per NVLink island (islands in inventory order, devices ascending). */
function freeByIsland(node: NodeGpuState): number[][] {
  const free = new Set<number>();
  for (const d of node.devices) if (d.mode === 'free') free.add(d.index);
  const islands = node.inventory.islands.length > 0 ? node.inventory.islands : [[...free]];
  return islands.map((island) => island.filter((i) => free.has(i)).sort((a, b) => a - b));
}

/**
 * Whole devices: if some NVLink islands have k free devices, one set per such island (its lowest
 * k free indices); otherwise one set spanning the fewest islands (largest free islands first).
 */
function wholeCandidates(node: NodeGpuState, count: number): Assignment[] {
  const name = node.inventory.name;
  const islands = freeByIsland(node);
  const local = islands.filter((free) => free.length >= count).map((free) => free.slice(0, count));
  if (local.length > 0) return local.map((set) => wholeAssignment(name, set));
  const totalFree = islands.reduce((sum, free) => sum + free.length, 0);
  if (totalFree < count) return [];
  const chosen: number[] = [];
  for (const free of [...islands].sort((a, b) => b.length - a.length)) {
    chosen.push(...free.slice(0, count - chosen.length));
    if (chosen.length === count) break;
  }
  return [
    wholeAssignment(
      name,
      chosen.sort((a, b) => a - b),
    ),
  ];
}

/**
 * Every distinct feasible placement of the pod's GPU demand on this node: one per device that can
 * take a fraction or memory share; island-local whole-device sets (see wholeCandidates). A pod
 * without GPU demand gets one empty assignment. Cordoned nodes and disallowed models get none.
 */
export function candidateAssignments(node: NodeGpuState, demand: PodDemand): Assignment[] {
  const name = node.inventory.name;
  if (node.inventory.unschedulable || !modelAllowed(node, demand)) return [];
  const gpu = demand.gpu;
  switch (gpu.kind) {
    case 'none':
      return [{ node: name, whole: false, devices: [] }];
    case 'whole':
      return gpu.count <= 0 ? [] : wholeCandidates(node, gpu.count);
    case 'fraction':
    case 'memory': {
      const out: Assignment[] = [];
      const devices = node.devices;
      for (let i = 0; i < devices.length; i++) {
        const share = shareOn(devices[i]!, demand);
        if (share !== undefined) out.push({ node: name, whole: false, devices: [share] });
      }
      return out;
    }
  }
}

/** Whether a device of the same state is among `seen`. */
function seenState(seen: readonly DeviceState[], device: DeviceState): boolean {
  for (let i = 0; i < seen.length; i++) if (sameState(seen[i]!, device)) return true;
  return false;
}

/**
 * candidateAssignments, keeping for a shared GPU only the first device of each distinct state (mode,
 * used milli, used and total memory): devices alike in all of these take a share alike, so a policy
 * that reads only what a device had free and what it takes scores their candidates alike.
 */
export function distinctStateCandidates(node: NodeGpuState, demand: PodDemand): Assignment[] {
  const gpu = demand.gpu;
  if (gpu.kind !== 'fraction' && gpu.kind !== 'memory') return candidateAssignments(node, demand);
  if (node.inventory.unschedulable || !modelAllowed(node, demand)) return [];
  const out: Assignment[] = [];
  const seen: DeviceState[] = [];
  const devices = node.devices;
  // Indexed loops: this runs once per node class and shape, in code V8 has rarely optimised, where
  // for-of and some() allocated per device.
  for (let i = 0; i < devices.length; i++) {
    const device = devices[i]!;
    if (seenState(seen, device)) continue;
    seen.push(device);
    const share = shareOn(device, demand);
    if (share !== undefined) out.push({ node: node.inventory.name, whole: false, devices: [share] });
  }
  return out;
}

function sameState(a: DeviceState, b: DeviceState): boolean {
  return (
    a.mode === b.mode &&
    a.usedMilli === b.usedMilli &&
    a.usedMemoryBytes === b.usedMemoryBytes &&
    a.memoryBytes === b.memoryBytes
  );
}

function explainShare(node: NodeGpuState, demand: PodDemand): string {
  const name = node.inventory.name;
  const open = node.devices.filter((d) => d.mode !== 'whole');
  if (open.length === 0) return `every GPU on node ${name} is given whole to other pods`;
  const gpu = demand.gpu;
  if (gpu.kind === 'memory') {
    const known = open.filter((d) => d.memoryBytes > 0);
    if (known.length === 0) return `node ${name} does not report GPU memory, pod asks for GPU memory`;
    const best = known.reduce((a, b) =>
      b.memoryBytes - b.usedMemoryBytes > a.memoryBytes - a.usedMemoryBytes ? b : a,
    );
    const bestMilli = open.reduce((a, b) => (b.usedMilli < a.usedMilli ? b : a));
    return (
      `pod needs ${formatBytes(gpu.memoryBytes)} of GPU memory; on node ${name} device ${best.index} has the most ` +
      `memory free (${formatBytes(best.memoryBytes - best.usedMemoryBytes)}) and device ${bestMilli.index} the most ` +
      `compute free (${MILLI_PER_GPU - bestMilli.usedMilli}m)`
    );
  }
  const milli = gpu.kind === 'fraction' ? gpu.milli : 0;
  const memory = gpu.kind === 'fraction' ? (gpu.memoryBytes ?? 0) : 0;
  const best = open.reduce((a, b) => (b.usedMilli < a.usedMilli ? b : a));
  const freeMilli = MILLI_PER_GPU - best.usedMilli;
  if (freeMilli < milli) {
    return `device ${best.index} on node ${name} has the most free (${freeMilli}m), pod needs ${formatMilli(milli)}`;
  }
  return (
    `no device on node ${name} has both ${formatMilli(milli)} and ${formatBytes(memory)} of memory free ` +
    `(device ${best.index} has ${freeMilli}m and ${formatBytes(best.memoryBytes - best.usedMemoryBytes)} free)`
  );
}

/** Why candidateAssignments is empty, in words a person can act on; '' when the pod fits. */
export function explainNoFit(node: NodeGpuState, demand: PodDemand): string {
  const inv = node.inventory;
  if (inv.unschedulable) return `node ${inv.name} is cordoned`;
  if (!modelAllowed(node, demand)) {
    return `node ${inv.name} has GPU model ${inv.model || 'unknown'}, pod allows ${(demand.models ?? []).join(', ')}`;
  }
  if (candidateAssignments(node, demand).length > 0) return '';
  const gpu = demand.gpu;
  if (node.devices.length === 0) return `node ${inv.name} has no GPUs`;
  if (gpu.kind === 'whole') {
    const free = node.devices.filter((d) => d.mode === 'free').length;
    const need = gpu.count === 1 ? '1 whole GPU' : `${gpu.count} whole GPUs`;
    return `pod needs ${need}, node ${inv.name} has ${free} free of ${node.devices.length}`;
  }
  return explainShare(node, demand);
}
