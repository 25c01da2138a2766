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

async function jobSize(
  gang: WorkloadGang,
  name: string,
  ns: string,
  owners: OwnerReader,
  maxGroupSize: number,
): Promise<GangResolution> {
  const field = `metadata.labels[${Workload.jobName}]`;
  let job;
  try {
    job = await owners.readJob(ns, name);
  } catch (error) {
    return lookupFailed(field, `Job ${ns}/${name}`, error);
  }
  if (job === undefined) {
    return {
      kind: 'refused',
      reason: {
        field,
        rule: AdmissionRule.unknownSize,
        message: `${field}: Job ${ns}/${name} not found, so the gang size is unknown; set phalanx.dev/group-size`,
      },
    };
  }
  return sizeFrom(
    gang,
    parseGroupSize(String(jobGangSize(job)), `Job ${ns}/${name} parallelism`, maxGroupSize),
  );
}

async function podGroupSize(
  gang: WorkloadGang,
  name: string,
  ns: string,
  owners: OwnerReader,
  maxGroupSize: number,
): Promise<GangResolution> {
  const field = `metadata.labels[${Workload.coschedulingPodGroup}]`;
  let minMember;
  try {
    minMember = await owners.readPodGroupMinMember(ns, name);
  } catch (error) {
    return lookupFailed(field, `PodGroup ${ns}/${name}`, error);
  }
  if (minMember === undefined) {
    return {
      kind: 'refused',
      reason: {
        field,
        rule: AdmissionRule.unknownSize,
        message: `${field}: PodGroup ${ns}/${name} not found; create it first or set phalanx.dev/group-size`,
      },
    };
  }
  return sizeFrom(
    gang,
    parseGroupSize(String(minMember), `PodGroup ${ns}/${name} spec.minMember`, maxGroupSize),
  );
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
