// The observed pod mix the fragmentation figure is measured against: the GPU shapes of the pods
// holding devices now (one type per whole-GPU count or share size), as a PodTypeTable the FGD
// functions of core/policies read. Host CPU and memory are not tracked by the live ledger, so
// types carry none; gang slots no member claimed yet count as the pods they were planned for.
import type { Holding } from '../ledger/gpu-ledger.js';
import type { PodType, PodTypeTable } from '../policies/pod-types.js';
import { MILLI_PER_GPU } from '../types.js';

function holdingType(h: Holding): PodType | undefined {
  const first = h.assignment.devices[0];
  if (first === undefined) return undefined;
  const base = { cpuMilli: 0, memoryBytes: 0, models: [] };
  return h.assignment.whole
    ? { ...base, gpuCount: h.assignment.devices.length, gpuMilli: MILLI_PER_GPU }
    : { ...base, gpuCount: 1, gpuMilli: first.milli };
}

/** Counts per GPU shape over the holdings; `version` lets callers key caches on the table. */
export function podMixOf(holdings: Iterable<Holding>, version = 0): PodTypeTable {
  const counts = new Map<string, { type: PodType; count: number }>();
  let total = 0;
  for (const h of holdings) {
    if (h.displaced === true) continue;
    const type = holdingType(h);
    if (type === undefined) continue;
    const key = `${type.gpuCount}x${type.gpuMilli}`;
    const entry = counts.get(key);
    if (entry === undefined) counts.set(key, { type, count: 1 });
    else entry.count += 1;
    total += 1;
  }
  return { version, total, gpuLess: 0, types: [...counts.values()] };
}
