// Expected fragmentation after a placement, counted from what the placement changes. A share changes
// the free milli of the devices it uses, so each learned type's usable milli and usable devices move
// by what those devices had free and have left; the node's other devices, counted once per node
// state (its basis), stay as they were. A candidate then costs types × devices used, not a new view
// of the node re-counted for every type. Sums are taken in the table's order, as expectedFragment
// takes them, over integer milli: both give the same number to the last bit.
import { countedFragment } from './fragmentation.js';
import { deviceFree, shareFor } from './node-view.js';
import type { Candidate } from './policy.js';
import type { PodTypeTable } from './pod-types.js';
import type { NodeGpuState } from '../types.js';

/** What fragmentation reads of one node state, per type of one table. */
export interface FragmentBasis {
  /** Free milli over all devices. */
  readonly total: number;
  /** Per type: free milli on devices that take its per-device share. */
  readonly usable: Float64Array;
  /** Per type: devices that take its per-device share. */
  readonly usableDevices: Int32Array;
  /** Per type: whether the node's model is one the type allows. */
  readonly modelAllowed: Uint8Array;
  /** expectedFragment of the node as it is. */
  readonly fragment: number;
}

export function fragmentBasis(node: NodeGpuState, table: PodTypeTable): FragmentBasis {
  const types = table.types;
  const usable = new Float64Array(types.length);
  const usableDevices = new Int32Array(types.length);
  const modelAllowed = new Uint8Array(types.length);
  let total = 0;
  const devices = node.devices;
  for (let i = 0; i < devices.length; i++) total += deviceFree(devices[i]!.mode, devices[i]!.usedMilli);
  const host = node.host;
  const cpuFree = host ? host.cpuMilli - host.cpuMilliUsed : Infinity;
  const memFree = host ? host.memoryBytes - host.memoryBytesUsed : Infinity;
  const model = node.inventory.model;
  let fragment = 0;
  for (let t = 0; t < types.length; t++) {
    const { type, count } = types[t]!;
    let u = 0;
    let d = 0;
    for (let i = 0; i < devices.length; i++) {
      const free = deviceFree(devices[i]!.mode, devices[i]!.usedMilli);
      if (free >= type.gpuMilli) {
        u += free;
        d += 1;
      }
    }
    usable[t] = u;
    usableDevices[t] = d;
    const allowed = type.models.length === 0 || type.models.includes(model);
    modelAllowed[t] = allowed ? 1 : 0;
    fragment += count * countedFragment(type, total, u, d, allowed, cpuFree, memFree);
  }
  return { total, usable, usableDevices, modelAllowed, fragment };
}

/** A device the candidate takes from: what it had free and what it has left. */
interface Change {
  readonly before: number;
  readonly after: number;
}

/**
 * expectedFragment of the candidate's node with the candidate placed, and the free milli it takes,
 * from the node's basis under the same `table`.
 */
export function fragmentAfter(
  basis: FragmentBasis,
  candidate: Candidate,
  table: PodTypeTable,
): { readonly fragment: number; readonly taken: number } {
  const { node, assignment, demand } = candidate;
  const changes: Change[] = [];
  let total = 0;
  // Indexed loops here and below: this runs per candidate, often in code V8 has not optimised (the
  // first pod of a shape), where a for-of allocates an iterator result per element.
  const devices = node.devices;
  for (let i = 0; i < devices.length; i++) {
    const device = devices[i]!;
    const before = deviceFree(device.mode, device.usedMilli);
    const share = shareFor(assignment.devices, device.index);
    const after = share === undefined ? before : before - share.milli;
    total += after;
    if (share !== undefined) changes.push({ before, after });
  }
  const host = node.host;
  const cpuFree = host ? host.cpuMilli - host.cpuMilliUsed - (demand.cpuMilli ?? 0) : Infinity;
  const memFree = host ? host.memoryBytes - host.memoryBytesUsed - (demand.memoryBytes ?? 0) : Infinity;
  const types = table.types;
  let fragment = 0;
  for (let t = 0; t < types.length; t++) {
    const { type, count } = types[t]!;
    let usable = basis.usable[t]!;
    let usableDevices = basis.usableDevices[t]!;
    const perDevice = type.gpuMilli;
    for (let c = 0; c < changes.length; c++) {
      const { before, after } = changes[c]!;
      if (before >= perDevice) {
        usable -= before;
        usableDevices -= 1;
      }
      if (after >= perDevice) {
        usable += after;
        usableDevices += 1;
      }
    }
    const allowed = basis.modelAllowed[t] === 1;
    fragment += count * countedFragment(type, total, usable, usableDevices, allowed, cpuFree, memFree);
  }
  return { fragment, taken: basis.total - total };
}
