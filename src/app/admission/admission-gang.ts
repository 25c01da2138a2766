// Resolves a pod's gang to a name and a size (and, for an upstream PodGroup, a required topology
// level), reading the owner object (Job, PodGroup) when the size lives there. A gang member is never admitted without its size: placed alone it would defeat the gang
// (part of a group bound, the rest pending), so a failed lookup refuses the pod with a clear reason and
// the owning controller retries the create with backoff.
import type { PodShape } from '../../core/kube-shapes.js';
import { MAX_GROUP_SIZE } from '../../core/demand-annotations.js';
import { DEFAULT_TOPOLOGY_LEVELS, Workload } from '../../core/names.js';
import { AdmissionRule, parseGroupSize, type AdmissionReason } from '../../core/admission/admission-rules.js';
import { identifyWorkloadGang, jobGangSize, type WorkloadGang } from '../../core/gang/workload-gangs.js';
import { resolveWorkloadPodGroup } from './admission-workload-pod-group.js';
import type { GangResolution } from './gang-resolution.js';
import type { OwnerReader } from './ports.js';

export type { GangResolution, ResolvedGang } from './gang-resolution.js';

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function lookupFailed(field: string, what: string, error: unknown): GangResolution {
  return {
    kind: 'refused',
    reason: {
      field,
      rule: AdmissionRule.ownerLookup,
      message: `${field}: cannot read ${what} to size the gang (${errorText(error)}); retry shortly`,
    },
  };
}

function sizeFrom(gang: WorkloadGang, size: number | AdmissionReason): GangResolution {
  return typeof size === 'number'
    ? { kind: 'gang', gang: { source: gang.source, group: gang.group, size: String(size) } }
    : { kind: 'refused', reason: size };
}

/** Where an owner object's gang size is read: the label naming it, the object, its size field. */
interface SizeOwner {
  readonly field: string;
  readonly what: string;
  readonly sizeField: string;
  /** What to do when it does not exist. */
  readonly missing: string;
  readonly read: () => Promise<number | undefined>;
}

/** Reads a gang's size from its owner object; a missing or unreadable owner refuses the pod. */
async function ownerSize(
  gang: WorkloadGang,
  owner: SizeOwner,
  maxGroupSize: number,
): Promise<GangResolution> {
  let size;
  try {
    size = await owner.read();
  } catch (error) {
    return lookupFailed(owner.field, owner.what, error);
  }
  if (size === undefined) {
    return {
      kind: 'refused',
      reason: {
        field: owner.field,
        rule: AdmissionRule.unknownSize,
        message: `${owner.field}: ${owner.what} not found${owner.missing}`,
      },
    };
  }
  return sizeFrom(gang, parseGroupSize(String(size), `${owner.what} ${owner.sizeField}`, maxGroupSize));
}

function jobSize(
  gang: WorkloadGang,
  name: string,
  ns: string,
  owners: OwnerReader,
  maxGroupSize: number,
): Promise<GangResolution> {
  const owner: SizeOwner = {
    field: `metadata.labels[${Workload.jobName}]`,
    what: `Job ${ns}/${name}`,
    sizeField: 'parallelism',
    missing: ', so the gang size is unknown; set phalanx.dev/group-size',
    read: async () => {
      const job = await owners.readJob(ns, name);
      return job === undefined ? undefined : jobGangSize(job);
    },
  };
  return ownerSize(gang, owner, maxGroupSize);
}

function podGroupSize(
  gang: WorkloadGang,
  name: string,
  ns: string,
  owners: OwnerReader,
  maxGroupSize: number,
): Promise<GangResolution> {
  const owner: SizeOwner = {
    field: `metadata.labels[${Workload.coschedulingPodGroup}]`,
    what: `PodGroup ${ns}/${name}`,
    sizeField: 'spec.minMember',
    missing: '; create it first or set phalanx.dev/group-size',
    read: () => owners.readPodGroupMinMember(ns, name),
  };
  return ownerSize(gang, owner, maxGroupSize);
}

/**
 * The pod's gang with its size, or why it cannot be admitted. `levels`: configured, closest first;
 * `maxGroupSize`: the largest size accepted from any source (limits.maxGroupSize).
 */
export async function resolveGang(
  pod: PodShape,
  namespace: string,
  owners: OwnerReader,
  levels: readonly string[] = DEFAULT_TOPOLOGY_LEVELS,
  maxGroupSize: number = MAX_GROUP_SIZE,
): Promise<GangResolution> {
  const gang = identifyWorkloadGang(pod);
  if (gang === undefined) return { kind: 'none' };
  const size = gang.size;
  switch (size.kind) {
    case 'explicit':
      return { kind: 'gang', gang: { source: gang.source, group: gang.group, size: size.value } };
    case 'annotation':
      return sizeFrom(gang, parseGroupSize(size.value, size.field, maxGroupSize));
    case 'job':
      return jobSize(gang, size.name, namespace, owners, maxGroupSize);
    case 'pod-group':
      return podGroupSize(gang, size.name, namespace, owners, maxGroupSize);
    case 'workload-pod-group':
      return resolveWorkloadPodGroup(gang, size.name, namespace, owners, levels, maxGroupSize);
    case 'unknown':
      return {
        kind: 'refused',
        reason: { field: `gang ${gang.group}`, rule: AdmissionRule.unknownSize, message: size.why },
      };
  }
}
