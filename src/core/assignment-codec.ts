// The decision annotation phalanx.dev/gpu-devices: which devices of its node a bound pod holds.
// It is what a restarted extender rebuilds the ledger from, so decoding is strict: garbage is refused
// with a reason, never skipped. Format (compact and readable in `kubectl get pod -o yaml`):
//   whole devices        "0,1,2,3"        each entry an index; optionally "/<memory>" per device
//   a share of a device  "2:500m"         index ":" milli-GPU "m"
//   share with memory    "2:500m/20Gi"    "/" memory in bytes, largest exact binary unit (Ki..Pi) or plain
import { AssignmentCodecError, QuantityError, Rule } from './errors.js';
import { Decision } from './names.js';
import { formatBytes, parseMemoryBytes } from './quantity.js';
import { MILLI_PER_GPU } from './types.js';
import type { Assignment, DeviceShare } from './types.js';

const FIELD = Decision.gpuDevices;
const ENTRY = /^(0|[1-9]\d{0,3})(?::([1-9]\d{0,2})m)?(?:\/([1-9]\d{0,15}(?:Ki|Mi|Gi|Ti|Pi)?))?$/;
const EXAMPLE = 'expected e.g. "0,1" (whole devices) or "2:500m/20Gi" (a share of one device)';
const MAX_INDEX = 9999;

function fail(message: string, cause?: unknown): never {
  throw new AssignmentCodecError(FIELD, Rule.malformed, `annotation ${FIELD}: ${message}`, { cause });
}

/** Encodes an assignment; throws AssignmentCodecError for one that could not be decoded back. */
export function encodeAssignment(a: Assignment): string {
  checkShape(a.devices, a.whole, (why) => fail(`cannot encode the assignment on node ${a.node}: ${why}`));
  return a.devices
    .map((d) => {
      const share = a.whole ? '' : `:${d.milli}m`;
      const memory = d.memoryBytes > 0 ? `/${formatBytes(d.memoryBytes)}` : '';
      return `${d.index}${share}${memory}`;
    })
    .join(',');
}

/** Decodes the annotation of a pod bound to `node`; throws AssignmentCodecError on anything malformed. */
export function decodeAssignment(node: string, value: string): Assignment {
  const where = `on a pod bound to node ${node}: ${JSON.stringify(value)}`;
  const text = value.trim();
  if (text === '') fail(`${where} is empty; ${EXAMPLE}`);
  const entries = text.split(',').map((part) => {
    const match = ENTRY.exec(part.trim());
    if (!match) fail(`${where} has ${JSON.stringify(part)}; ${EXAMPLE}`);
    const [, index = '', milli, memory] = match;
    let memoryBytes = 0;
    if (memory !== undefined) {
      try {
        memoryBytes = parseMemoryBytes(memory, FIELD);
      } catch (error) {
        if (error instanceof QuantityError)
          fail(`${where} has memory ${JSON.stringify(memory)} out of range`, error);
        throw error;
      }
    }
    return { index: Number(index), milli: milli === undefined ? undefined : Number(milli), memoryBytes };
  });
  const shared = entries.filter((e) => e.milli !== undefined).length;
  if (shared > 0 && shared !== entries.length) {
    fail(`${where} mixes whole devices and shares; a pod holds either whole devices or one share`);
  }
  const whole = shared === 0;
  const devices: DeviceShare[] = entries.map((e) => ({
    index: e.index,
    milli: e.milli ?? MILLI_PER_GPU,
    memoryBytes: e.memoryBytes,
  }));
  checkShape(devices, whole, (why) => fail(`${where} ${why}`));
  return { node, whole, devices };
}

/** The rules both directions share: what a well-formed assignment looks like. */
function checkShape(devices: readonly DeviceShare[], whole: boolean, reject: (why: string) => never): void {
  if (devices.length === 0) reject('has no devices');
  if (!whole && devices.length !== 1)
    reject(`shares ${devices.length} devices; a share is always on one device`);
  const seen = new Set<number>();
  for (const d of devices) {
    if (!Number.isInteger(d.index) || d.index < 0 || d.index > MAX_INDEX) {
      reject(`has device index ${d.index}; indices are whole numbers 0..${MAX_INDEX}`);
    }
    if (seen.has(d.index)) reject(`lists device ${d.index} more than once`);
    seen.add(d.index);
    if (whole && d.milli !== MILLI_PER_GPU) {
      reject(`gives device ${d.index} ${d.milli} milli-GPU, but whole devices are ${MILLI_PER_GPU}`);
    }
    if (!whole && (!Number.isInteger(d.milli) || d.milli < 1 || d.milli >= MILLI_PER_GPU)) {
      reject(`gives device ${d.index} a share of ${d.milli} milli-GPU; a share is 1..${MILLI_PER_GPU - 1}`);
    }
    if (!Number.isSafeInteger(d.memoryBytes) || d.memoryBytes < 0) {
      reject(`gives device ${d.index} ${d.memoryBytes} bytes of memory; expected a whole number ≥ 0`);
    }
  }
}
