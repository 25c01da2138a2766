// The admission webhook's rules, pure: which requests are refused (with a reason naming the field),
// which aliases become canonical annotations, and the countable GPU share a pod is given.
// GPU amounts, gang pairs and topology levels are validated by core/pod-demand; this file adds what
// only admission knows: decision annotations are not for users, and gang sizes must agree.
import type { FieldError } from '../errors.js';
import { Rule } from '../errors.js';
import type { StringMap } from '../kube-shapes.js';
import { Alias, DECISION_ANNOTATIONS, Req } from '../names.js';
import { groupSizeTooLarge, MAX_GROUP_SIZE } from '../demand-annotations.js';
import type { GpuRequest } from '../types.js';
import { MILLI_PER_GPU } from '../types.js';

/** One reason to refuse a pod: `field` locates the input, `rule` is machine-readable (metrics, tests). */
export interface AdmissionReason {
  readonly field: string;
  readonly rule: string;
  readonly message: string;
}

/** Rules admission adds to core's Rule set. */
export const AdmissionRule = {
  ...Rule,
  /** A user tried to write what only the extender writes. */
  forbidden: 'forbidden',
  /** A gang member disagrees with the members already seen. */
  inconsistent: 'inconsistent',
  /** The owner object a gang's size comes from could not be read. */
  ownerLookup: 'owner-lookup',
  /** Nothing on the pod or its owners says how large its gang is. */
  unknownSize: 'unknown-size',
} as const;

export function reasonFromFieldError(error: FieldError): AdmissionReason {
  return { field: error.field, rule: error.rule, message: error.message };
}

function decisionReason(key: string, verb: string): AdmissionReason {
  return {
    field: `metadata.annotations[${key}]`,
    rule: AdmissionRule.forbidden,
    message: `annotation ${key}: ${verb} only by the Phalanx extender when it binds the pod; remove it`,
  };
}

/** On CREATE no decision annotation may be present: a forged one must never reach the ledger. */
export function forgedDecisionAnnotations(annotations: StringMap): AdmissionReason[] {
  return DECISION_ANNOTATIONS.filter((key) => annotations[key] !== undefined).map((key) =>
    decisionReason(key, 'written'),
  );
}

/** On UPDATE by anyone but Phalanx itself, decision annotations may not be added, changed or removed. */
export function changedDecisionAnnotations(before: StringMap, after: StringMap): AdmissionReason[] {
  return DECISION_ANNOTATIONS.filter((key) => before[key] !== after[key]).map((key) =>
    decisionReason(key, 'changed'),
  );
}

const WHOLE_NUMBER = /^\d{1,64}$/;

/**
 * A gang size read from a workload (LeaderWorkerSet size annotation, Job parallelism, PodGroup
 * minMember or minCount): a whole number in 1..maxGroupSize, or a reason naming the field.
 * `maxGroupSize` is capped by MAX_GROUP_SIZE.
 */
export function parseGroupSize(
  value: string,
  field: string,
  maxGroupSize: number = MAX_GROUP_SIZE,
): number | AdmissionReason {
  const text = value.trim();
  const size = WHOLE_NUMBER.test(text) ? Number(text) : Number.NaN;
  const max = Math.min(maxGroupSize, MAX_GROUP_SIZE);
  if (size > max) return reasonFromFieldError(groupSizeTooLarge(field, field, value, max));
  if (size >= 1) return size;
  return {
    field,
    rule: Number.isNaN(size) ? AdmissionRule.notAnInteger : AdmissionRule.outOfRange,
    message: `${field}: ${JSON.stringify(value)} must be a whole number ≥ 1 (the gang size)`,
  };
}

/** Every member of a gang must state the same size as the members already seen. */
export function inconsistentGroupSize(
  groupKey: string,
  size: number,
  knownSize: number | undefined,
): AdmissionReason | undefined {
  if (knownSize === undefined || knownSize === size) return undefined;
  return {
    field: `annotation ${Req.groupSize}`,
    rule: AdmissionRule.inconsistent,
    message:
      `annotation ${Req.groupSize}: ${size} disagrees with the other members of gang ${groupKey}, ` +
      `which have size ${knownSize}`,
  };
}

const ALIAS_TO_CANONICAL: readonly (readonly [string, string])[] = [
  [Alias.gpuFraction, Req.gpuFraction],
  [Alias.gpuMemory, Req.gpuMemory],
  [Alias.kaiTopologyRequired, Req.topologyRequired],
  [Alias.kaiTopologyPreferred, Req.topologyPreferred],
];

export interface AliasCopies {
  /** Canonical annotations to add (the alias stays in place). */
  readonly annotations: Readonly<Record<string, string>>;
  /** One warning per alias seen, each at most 120 characters (the apiserver forwards them to the user). */
  readonly warnings: readonly string[];
}

/**
 * Aliases other GPU orchestrators use become canonical annotations, so the extender and the README
 * speak one language; the originals stay so the user's manifests round-trip. An alias next to its
 * canonical twin is not copied (pod-demand has already checked they agree).
 */
export function copyAliases(annotations: StringMap): AliasCopies {
  const copies: Record<string, string> = {};
  const warnings: string[] = [];
  for (const [alias, canonical] of ALIAS_TO_CANONICAL) {
    const value = annotations[alias];
    if (value === undefined) continue;
    warnings.push(`annotation ${alias} is deprecated; use ${canonical}`.slice(0, 120));
    if (annotations[canonical] === undefined) copies[canonical] = value;
  }
  if (annotations[Alias.gpuFractionNumDevices] !== undefined) {
    warnings.push(
      `annotation ${Alias.gpuFractionNumDevices} is deprecated; a fraction is one GPU`.slice(0, 120),
    );
  }
  return { annotations: copies, warnings };
}

/**
 * The countable share (milli-GPU) a pod's phalanx.dev/gpu-milli resource should carry, so that
 * ResourceQuota and Kueue count fractional pods. Undefined when the pod gets none.
 *
 * - fraction: its milli (1..999).
 * - memory only: ceil(1000 × memory / memory of the largest device in the cluster), clamped to 1..999.
 *   This is the smallest share the pod can occupy anywhere (on a smaller device its memory is a larger
 *   share), so quota never over-counts it; a pod using a whole device's memory still shares that
 *   device, hence at most 999. Without a known largest device there is no honest share: undefined.
 * - whole devices and none: undefined (whole GPUs are counted as nvidia.com/gpu).
 */
export function countableShareMilli(
  gpu: GpuRequest,
  maxDeviceMemoryBytes: number | undefined,
): number | undefined {
  if (gpu.kind === 'fraction') return gpu.milli;
  if (gpu.kind !== 'memory' || maxDeviceMemoryBytes === undefined || maxDeviceMemoryBytes <= 0)
    return undefined;
  const share = Math.ceil((MILLI_PER_GPU * gpu.memoryBytes) / maxDeviceMemoryBytes);
  return Math.min(MILLI_PER_GPU - 1, Math.max(1, share));
}
