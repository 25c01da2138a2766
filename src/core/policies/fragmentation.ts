// GPU fragmentation of one node as defined by FGD (Weng et al., USENIX ATC'23, section 4): for a
// pod type m, the node's fragment F(n, m) is the free GPU milli that m cannot use.
//  - m needs no GPU: nothing is a fragment for it.
//  - m cannot run on n at all (model not allowed, host CPU or memory short, not enough GPU in
//    total or not enough suitable devices): every free milli is a fragment.
//  - otherwise: the free milli on devices that cannot take m's per-device share (for whole-device
//    types, every partially used device).
// The node's expected fragmentation against a workload is sum over types of count(m) * F(n, m);
// counts instead of probabilities keep the sums exact integers, so equal states tie exactly.
import type { FreeView } from './node-view.js';
import type { PodType, PodTypeTable } from './pod-types.js';

/** F(n, m) in milli-GPU. */
export function typeFragment(view: FreeView, type: PodType): number {
  let total = 0;
  let usable = 0;
  let usableDevices = 0;
  const perDevice = type.gpuMilli;
  const freeMilli = view.freeMilli;
  for (let i = 0; i < freeMilli.length; i++) {
    const free = freeMilli[i]!;
    total += free;
    if (free >= perDevice) {
      usable += free;
      usableDevices += 1;
    }
  }
  const modelAllowed = type.models.length === 0 || type.models.includes(view.model);
  return countedFragment(type, total, usable, usableDevices, modelAllowed, view.cpuFree, view.memFree);
}

/**
 * F(n, m) from figures counted beforehand: the node's free milli in total, the free milli and the
 * number of devices that take m's per-device share, whether m allows the node's model, and the
 * host's free CPU and memory. Scalar arguments: fragment-delta.ts calls it per type per candidate.
 */
export function countedFragment(
  type: PodType,
  total: number,
  usable: number,
  usableDevices: number,
  modelAllowed: boolean,
  cpuFree: number,
  memFree: number,
): number {
  if (type.gpuCount === 0 || total === 0) return 0;
  const runnable =
    usableDevices >= type.gpuCount && cpuFree >= type.cpuMilli && memFree >= type.memoryBytes && modelAllowed;
  return runnable ? total - usable : total;
}

/** sum over the table of count(m) * F(n, m). */
export function expectedFragment(view: FreeView, table: PodTypeTable): number {
  let sum = 0;
  const types = table.types;
  for (let t = 0; t < types.length; t++) sum += types[t]!.count * typeFragment(view, types[t]!.type);
  return sum;
}
