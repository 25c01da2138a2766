// A small cluster for preemption tests: real ClusterState (ledger) plus an in-memory pod list that
// serves as NodePods and GangMemberIndex, with helpers to bind pods that hold GPU shares.
import type { NodePods } from '../../../src/app/preemption/ports.js';
import type { GangMemberIndex } from '../../../src/app/ports.js';
import { PreemptService, type PreemptServiceDeps } from '../../../src/app/preemption/preempt-service.js';
import { ClusterState } from '../../../src/core/cluster-state.js';
import { DEFAULT_TOPOLOGY_LEVELS } from '../../../src/core/names.js';
import type { PodShape } from '../../../src/core/kube-shapes.js';
import type { Assignment } from '../../../src/core/types.js';
import { nodeInventory } from '../../../testbed/gpu-fabric.js';

export interface PodOptions {
  namespace?: string;
  node?: string;
  priority?: number;
  holds?: Assignment;
  gang?: string;
  phase?: string;
  annotations?: Record<string, string>;
  requests?: Record<string, string>;
}

export function podShape(uid: string, o: PodOptions = {}): PodShape {
  const annotations = { ...(o.annotations ?? {}), ...(o.gang ? { 'phalanx.dev/pod-group': o.gang } : {}) };
  return {
    metadata: { name: uid, namespace: o.namespace ?? 'ml', uid, annotations },
    spec: {
      ...(o.node ? { nodeName: o.node } : {}),
      ...(o.priority !== undefined ? { priority: o.priority } : {}),
      containers: [{ name: 'main', resources: { requests: o.requests ?? {} } }],
    },
    status: { phase: o.phase ?? 'Running' },
  };
}

/** A pod asking for `milli` of one GPU (the canonical countable resource) at `priority`. */
export function fractionalPreemptor(milli: number, priority: number, extra: PodOptions = {}): PodShape {
  return podShape('preemptor', {
    priority,
    requests: { 'phalanx.dev/gpu-milli': String(milli) },
    ...extra,
  });
}

export class PreemptWorld implements NodePods, GangMemberIndex {
  readonly state = new ClusterState();
  readonly pods: PodShape[] = [];

  /** A PreemptService over this world and the default topology levels; serving unless told otherwise. */
  service(
    deps: Partial<Pick<PreemptServiceDeps, 'notServingReason' | 'observer' | 'wholeGangs' | 'leaving'>> = {},
  ): PreemptService {
    return new PreemptService({
      state: this.state,
      nodePods: this,
      gangs: this,
      levels: DEFAULT_TOPOLOGY_LEVELS,
      notServingReason: () => undefined,
      ...deps,
    });
  }

  node(name: string, gpus: number, islands?: number[][]): this {
    this.state.applyNode(nodeInventory(name, gpus, islands ? { islands } : {}));
    return this;
  }

  /** Adds a bound pod; its share (if any) is committed to the ledger. */
  pod(uid: string, o: PodOptions): this {
    this.pods.push(podShape(uid, o));
    if (o.holds) {
      const result = this.state.commit(uid, o.holds);
      if (!result.ok) throw new Error(result.reason);
    }
    return this;
  }

  podsOn(node: string): readonly PodShape[] {
    return this.pods.filter((p) => p.spec?.nodeName === node);
  }

  members(groupKey: string): readonly PodShape[] {
    return this.pods.filter(
      (p) => `${p.metadata?.namespace}/${p.metadata?.annotations?.['phalanx.dev/pod-group']}` === groupKey,
    );
  }
}
