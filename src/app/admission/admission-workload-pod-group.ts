// A gang named by the upstream Workload API (pod spec.schedulingGroup.podGroupName → a
// scheduling.k8s.io PodGroup): its size is the PodGroup's gang minCount and its required level the
// PodGroup's topology key. As with a coscheduling PodGroup, a PodGroup that cannot be found refuses the
// pod (its controller retries; create the PodGroup first), so no member is ever placed alone.
import { AdmissionRule, parseGroupSize, type AdmissionReason } from '../../core/admission/admission-rules.js';
import { levelOfTopologyKeys } from '../../core/gang/workload-topology.js';
import type { WorkloadGang } from '../../core/gang/workload-gangs.js';
import { WorkloadApi } from '../../core/names.js';
import type { GangResolution } from './gang-resolution.js';
import type { OwnerReader, WorkloadPodGroupFacts } from './ports.js';

function refused(field: string, rule: string, message: string): GangResolution {
  return { kind: 'refused', reason: { field, rule, message } };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The PodGroup's required level, or why its topology key is not one Phalanx knows. */
function requiredLevel(
  facts: WorkloadPodGroupFacts,
  what: string,
  levels: readonly string[],
): string | undefined | AdmissionReason {
  const level = levelOfTopologyKeys(facts.topologyKeys, levels);
  if (level.kind === 'none') return undefined;
  if (level.kind === 'level') return level.level;
  const field = `${what} ${WorkloadApi.topologyField}[${level.index}].key`;
  return {
    field,
    rule: AdmissionRule.unknownName,
    message:
      `${field}: ${JSON.stringify(level.key)} is not a Phalanx topology level; ` +
      `known keys, closest first: ${level.known.join(', ')}`,
  };
}

/** Resolves a `workload-api` gang by reading its PodGroup. */
export async function resolveWorkloadPodGroup(
  gang: WorkloadGang,
  name: string,
  namespace: string,
  owners: OwnerReader,
  levels: readonly string[],
  maxGroupSize?: number,
): Promise<GangResolution> {
  const field = WorkloadApi.podGroupField;
  const what = `PodGroup ${namespace}/${name}`;
  let facts;
  try {
    facts = await owners.readWorkloadPodGroup(namespace, name);
  } catch (error) {
    return refused(
      field,
      AdmissionRule.ownerLookup,
      `${field}: cannot read ${what} (scheduling.k8s.io) to size the gang (${errorText(error)}); retry shortly`,
    );
  }
  if (facts === undefined) {
    return refused(
      field,
      AdmissionRule.unknownSize,
      `${field}: ${what} (scheduling.k8s.io/v1beta1) not found; create it before its pods ` +
        '(the API needs Kubernetes ≥ 1.37 with the GenericWorkload feature gate)',
    );
  }
  // The basic policy schedules members independently: not a gang.
  if (facts.minCount === undefined) return { kind: 'none' };
  const size = parseGroupSize(String(facts.minCount), `${what} ${WorkloadApi.minCountField}`, maxGroupSize);
  if (typeof size !== 'number') return { kind: 'refused', reason: size };
  const level = requiredLevel(facts, what, levels);
  if (typeof level === 'object') return { kind: 'refused', reason: level };
  return {
    kind: 'gang',
    gang: {
      source: gang.source,
      group: gang.group,
      size: String(size),
      ...(level === undefined ? {} : { topologyRequired: level }),
    },
  };
}
