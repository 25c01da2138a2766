// Admission decisions for pods: on CREATE, derive the gang, validate the request, and mutate a copy
// (canonical annotations, countable GPU share, scheduler name, gang gate); on UPDATE, keep decision
// annotations out of everyone's hands but Phalanx's. The webhook adapter turns the copy into a patch.
import { FieldError } from '../../core/errors.js';
import type { PodShape } from '../../core/kube-shapes.js';
import { GANG_GATE, Req, Resource } from '../../core/names.js';
import {
  changedDecisionAnnotations,
  copyAliases,
  countableShareMilli,
  forgedDecisionAnnotations,
  inconsistentGroupSize,
  reasonFromFieldError,
  type AdmissionReason,
} from '../../core/admission/admission-rules.js';
import { isLeaderWorkerSetLeader, requestsGpu } from '../../core/gang/workload-gangs.js';
import { parsePodDemand, requestedGpuMilli, type DemandLimits } from '../../core/pod-demand.js';
import type { PodDemand } from '../../core/types.js';
import type { EnvVar } from '../../core/devices/share-env.js';
import { resolveGang, type GangResolution } from './admission-gang.js';
import type { OwnerReader } from './ports.js';
import {
  addAnnotations,
  addSchedulingGate,
  copyPod,
  setContainerEnv,
  setFirstContainerResource,
  setSchedulerName,
} from './admission-mutation.js';

export type AdmissionOperation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface AdmissionInput {
  readonly operation: AdmissionOperation;
  /** request.namespace: authoritative, since CREATE objects often carry no metadata.namespace. */
  readonly namespace: string;
  /** request.userInfo.username. */
  readonly username: string;
  readonly object?: PodShape | undefined;
  readonly oldObject?: PodShape | undefined;
}

export type AdmissionDecision =
  | {
      readonly allowed: true;
      /** The mutated copy (CREATE only); the adapter diffs it against the original. */
      readonly pod?: PodShape;
      readonly warnings: readonly string[];
      /** Namespaced gang key, for logs. */
      readonly gang?: string;
    }
  | {
      readonly allowed: false;
      readonly reasons: readonly AdmissionReason[];
      readonly warnings: readonly string[];
    };

export interface AdmissionServiceOptions {
  readonly owners: OwnerReader;
  /** The scheduler that runs the Phalanx extender. */
  readonly schedulerName: string;
  /** Route managed pods that asked for default-scheduler to `schedulerName`. */
  readonly routeToScheduler: boolean;
  /** Hold gang members behind the phalanx.dev/gang scheduling gate until their group is complete. */
  readonly gateGangs: boolean;
  /** Usernames (Phalanx's service account) allowed to change decision annotations on UPDATE. */
  readonly trustedUsernames: readonly string[];
  /** Configured topology levels, closest first ("node" is always known). */
  readonly levels?: readonly string[];
  /** Memory of the largest GPU in the cluster, when the inventory knows it. */
  readonly maxDeviceMemoryBytes?: () => number | undefined;
  /** Size stated by members of this gang already seen (key "<namespace>/<group>"), if any. */
  readonly groupSizeOf?: (key: string) => number | undefined;
  /** Bounds on gang sizes and GPU counts (the `limits` settings); core's hard maxima when absent. */
  readonly limits?: DemandLimits;
  /**
   * Environment every container of a fractional pod gets (core/devices/share-env.ts: the device
   * UUID and share, resolved by the kubelet from the decision annotations). Absent: none.
   */
  readonly shareEnv?: readonly EnvVar[];
}

const DEFAULT_SCHEDULER = 'default-scheduler';

const NO_SHARE_WARNING =
  `GPU memory size unknown: no ${Resource.gpuMilli} added, so quota cannot count this pod's share`.slice(
    0,
    120,
  );

function allow(warnings: readonly string[] = []): AdmissionDecision {
  return { allowed: true, warnings };
}

function withNamespace(
  pod: PodShape,
  namespace: string,
  annotations: Readonly<Record<string, string>>,
): PodShape {
  const metadata = pod.metadata ?? {};
  return {
    ...pod,
    metadata: { ...metadata, namespace, annotations: { ...annotations, ...metadata.annotations } },
  };
}

export class AdmissionService {
  readonly #opts: AdmissionServiceOptions;

  constructor(opts: AdmissionServiceOptions) {
    this.#opts = opts;
  }

  async review(input: AdmissionInput): Promise<AdmissionDecision> {
    if (input.operation === 'UPDATE') return this.#reviewUpdate(input);
    if (input.operation !== 'CREATE' || input.object === undefined) return allow();
    return this.#reviewCreate(input.object, input.namespace);
  }

  /** Decision annotations change only through Phalanx's own bind; anyone else is refused. */
  #reviewUpdate(input: AdmissionInput): AdmissionDecision {
    if (this.#opts.trustedUsernames.includes(input.username)) return allow();
    const reasons = changedDecisionAnnotations(
      input.oldObject?.metadata?.annotations ?? {},
      input.object?.metadata?.annotations ?? {},
    );
    return reasons.length > 0 ? { allowed: false, reasons, warnings: [] } : allow();
  }

  async #reviewCreate(pod: PodShape, namespace: string): Promise<AdmissionDecision> {
    const annotations = pod.metadata?.annotations ?? {};
    const reasons: AdmissionReason[] = forgedDecisionAnnotations(annotations);
    const gang = await resolveGang(
      pod,
      namespace,
      this.#opts.owners,
      this.#opts.levels,
      this.#opts.limits?.maxGroupSize,
    );
    if (gang.kind === 'refused') reasons.push(gang.reason);
    const gangAnnotations = gangAnnotationsOf(gang);
    const demand = this.#parseDemand(withNamespace(pod, namespace, gangAnnotations), reasons);
    if (demand?.gang) {
      const known = this.#opts.groupSizeOf?.(demand.gang.key);
      const inconsistent = inconsistentGroupSize(demand.gang.key, demand.gang.size, known);
      if (inconsistent) reasons.push(inconsistent);
    }
    const aliases = copyAliases(annotations);
    if (reasons.length > 0 || demand === undefined) {
      return { allowed: false, reasons, warnings: aliases.warnings };
    }
    const mutated = copyPod(pod);
    addAnnotations(mutated, { ...aliases.annotations, ...gangAnnotations });
    const warnings = [...aliases.warnings, ...this.#addCountableShare(mutated, pod, demand)];
    this.#routeGangMemberWithoutGpus(mutated, pod, demand);
    if (this.#opts.shareEnv && (demand.gpu.kind === 'fraction' || demand.gpu.kind === 'memory')) {
      setContainerEnv(mutated, this.#opts.shareEnv);
    }
    if (this.#shouldRoute(pod, demand)) setSchedulerName(mutated, this.#opts.schedulerName);
    if (this.#opts.gateGangs && demand.gang && demand.gang.size > 1 && !isLeaderWorkerSetLeader(pod)) {
      addSchedulingGate(mutated, GANG_GATE);
    }
    return {
      allowed: true,
      pod: mutated,
      warnings,
      ...(demand.gang ? { gang: demand.gang.key } : {}),
    };
  }

  #parseDemand(pod: PodShape, reasons: AdmissionReason[]): PodDemand | undefined {
    const max = this.#opts.maxDeviceMemoryBytes?.();
    try {
      return parsePodDemand(pod, {
        ...(max !== undefined ? { maxDeviceMemoryBytes: max } : {}),
        ...(this.#opts.levels ? { levels: this.#opts.levels } : {}),
        ...this.#opts.limits,
      });
    } catch (error) {
      if (!(error instanceof FieldError)) throw error;
      reasons.push(reasonFromFieldError(error));
      return undefined;
    }
  }

  /**
   * A fractional or memory-only pod gets a phalanx.dev/gpu-milli request (= limit) on its first container,
   * unless the user wrote one: that is what ResourceQuota and Kueue count, and what makes kube-scheduler
   * send the pod to the extender (managedResources). Returns warnings.
   */
  #addCountableShare(mutated: Record<string, unknown>, pod: PodShape, demand: PodDemand): string[] {
    if (demand.gpu.kind !== 'fraction' && demand.gpu.kind !== 'memory') return [];
    if (requestedGpuMilli(pod) !== undefined) return [];
    const milli = countableShareMilli(demand.gpu, this.#opts.maxDeviceMemoryBytes?.());
    if (milli === undefined) return [NO_SHARE_WARNING];
    setFirstContainerResource(mutated, Resource.gpuMilli, String(milli));
    return [];
  }

  /**
   * A member of an explicit gang (phalanx.dev/pod-group written by the user, or an upstream PodGroup
   * named in spec.schedulingGroup: one gang over several workloads, e.g. a frontend and router beside prefill and decode workers) that asks for no GPU
   * gets a phalanx.dev/gpu-milli request of 0: kube-scheduler calls the extender only for pods naming
   * a managed resource, and a key with quantity 0 names it, so the member takes its place in the
   * gang's plan and binds with the others. Derived gangs keep their CPU-only pods (an LWS leader
   * that must start before its workers exist) outside the plan, as before.
   */
  #routeGangMemberWithoutGpus(mutated: Record<string, unknown>, pod: PodShape, demand: PodDemand): void {
    if (demand.gang === undefined || demand.gpu.kind !== 'none') return;
    const explicit =
      pod.metadata?.annotations?.[Req.podGroup] !== undefined ||
      pod.spec?.schedulingGroup?.podGroupName !== undefined;
    if (!explicit || requestsGpu(pod)) return;
    setFirstContainerResource(mutated, Resource.gpuMilli, '0');
  }

  /** Only CREATE reaches here, and schedulerName is immutable afterwards. */
  #shouldRoute(pod: PodShape, demand: PodDemand): boolean {
    if (!this.#opts.routeToScheduler) return false;
    const managed = demand.gpu.kind !== 'none' || demand.gang !== undefined;
    return managed && (pod.spec?.schedulerName ?? DEFAULT_SCHEDULER) === DEFAULT_SCHEDULER;
  }
}

function gangAnnotationsOf(gang: GangResolution): Record<string, string> {
  if (gang.kind !== 'gang') return {};
  const { group, size, topologyRequired } = gang.gang;
  return {
    [Req.podGroup]: group,
    [Req.groupSize]: size,
    ...(topologyRequired === undefined ? {} : { [Req.topologyRequired]: topologyRequired }),
  };
}
