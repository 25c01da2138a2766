// A node's GPU state as it would be once some holdings are gone: what preemption checks a victim set
// against, with the same device-fit rules filter uses. Mirrors NodeAccount.apply(-1) on a copy.
import { MILLI_PER_GPU, type Assignment, type DeviceState, type NodeGpuState } from '../types.js';

export function nodeStateWithout(node: NodeGpuState, holdings: readonly Assignment[]): NodeGpuState {
  if (holdings.length === 0) return node;
  const freedMilli = new Map<number, number>();
  const freedMemory = new Map<number, number>();
  const memoryOf = new Map(node.devices.map((d) => [d.index, d.memoryBytes]));
  for (const a of holdings) {
    for (const share of a.devices) {
      const milli = a.whole ? MILLI_PER_GPU : share.milli;
      const memory = a.whole ? (memoryOf.get(share.index) ?? 0) : share.memoryBytes;
      freedMilli.set(share.index, (freedMilli.get(share.index) ?? 0) + milli);
      freedMemory.set(share.index, (freedMemory.get(share.index) ?? 0) + memory);
    }
  }
  const devices = node.devices.map((d): DeviceState => {
    const milli = freedMilli.get(d.index);
    if (milli === undefined) return d;
    const usedMilli = Math.max(0, d.usedMilli - milli);
    const usedMemoryBytes = Math.max(0, d.usedMemoryBytes - (freedMemory.get(d.index) ?? 0));
    // Every share is at least 1 milli, so nothing left on the device means nobody holds it.
    const mode = usedMilli === 0 ? 'free' : d.mode === 'whole' ? 'whole' : 'shared';
    return { index: d.index, memoryBytes: d.memoryBytes, usedMilli, usedMemoryBytes, mode };
  });
  return { ...node, devices };
}
