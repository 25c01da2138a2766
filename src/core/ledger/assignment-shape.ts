// Checks on an Assignment that do not depend on live state: share bounds, whole/shared shape,
// duplicate devices, and structural equality (the ledger's idempotency is defined by it).
import { MILLI_PER_GPU, type Assignment } from '../types.js';

/** Why an assignment is malformed, or undefined when its shape is valid. */
export function assignmentShapeProblem(a: Assignment): string | undefined {
  const seen = new Set<number>();
  for (const share of a.devices) {
    if (!Number.isSafeInteger(share.index) || share.index < 0)
      return `device index ${share.index} is not valid`;
    if (seen.has(share.index)) return `device ${share.index} appears twice`;
    seen.add(share.index);
    if (!Number.isSafeInteger(share.memoryBytes) || share.memoryBytes < 0) {
      return `device ${share.index}: memory ${share.memoryBytes} is not a byte count`;
    }
    if (a.whole) {
      if (share.milli !== MILLI_PER_GPU)
        return `device ${share.index} is given whole but with ${share.milli}m`;
    } else if (!Number.isSafeInteger(share.milli) || share.milli < 1 || share.milli > MILLI_PER_GPU) {
      return `device ${share.index}: share ${share.milli}m is outside 1..${MILLI_PER_GPU}m`;
    }
  }
  if (!a.whole && a.devices.length > 1)
    return `a shared assignment names ${a.devices.length} devices, not one`;
  return undefined;
}

/** Same node, same mode, same shares (device order does not matter). */
export function sameAssignment(a: Assignment, b: Assignment): boolean {
  if (a.node !== b.node || a.whole !== b.whole || a.devices.length !== b.devices.length) return false;
  const left = [...a.devices].sort((x, y) => x.index - y.index);
  const right = [...b.devices].sort((x, y) => x.index - y.index);
  return left.every((share, i) => {
    const other = right[i];
    return (
      other !== undefined &&
      share.index === other.index &&
      share.milli === other.milli &&
      share.memoryBytes === other.memoryBytes
    );
  });
}

/** Milli-GPU an assignment takes in total. */
export function assignmentMilli(a: Assignment): number {
  let total = 0;
  for (const share of a.devices) total += share.milli;
  return total;
}

/** For messages: "devices 0,1 whole on node a" or "500m of device 3 on node a". */
export function describeAssignment(a: Assignment): string {
  if (a.devices.length === 0) return `no devices on node ${a.node}`;
  if (a.whole) {
    const indices = a.devices.map((d) => d.index).join(',');
    return `${a.devices.length === 1 ? 'device' : 'devices'} ${indices} whole on node ${a.node}`;
  }
  return a.devices.map((d) => `${d.milli}m of device ${d.index}`).join(', ') + ` on node ${a.node}`;
}
