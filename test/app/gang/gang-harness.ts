// A scheduling service with a gang coordinator over an in-memory API server and a synthetic fabric,
// for the gang scenarios. Uses the wall clock so vitest's fake timers drive both time and timers.
import { expect } from 'vitest';
import {
  GangCoordinator,
  type GangObserver,
  type ReleaseCause,
} from '../../../src/app/gang/gang-coordinator.js';
import type { EventRecorder, GangMemberIndex, PodRef } from '../../../src/app/ports.js';
import type { GangCommit } from '../../../src/core/types.js';
import { BindingWriter } from '../../../src/app/binding/binding-writer.js';
import { SchedulingService } from '../../../src/app/scheduling/scheduling-service.js';
import { ClusterState } from '../../../src/core/cluster-state.js';
import type { NodeLookup } from '../../../src/core/gang/member-fit.js';
import type { PodShape } from '../../../src/core/kube-shapes.js';
import type { CommittedFact } from '../../../src/core/ledger/snapshot.js';
import { DEFAULT_TOPOLOGY_LEVELS } from '../../../src/core/names.js';
import { policyByName } from '../../../src/core/policies/registry.js';
import type { NodeInventory } from '../../../src/core/types.js';
import { FakeApi } from '../../fakes/app-ports.js';

export const CLIQUE = 'nvidia.com/gpu.clique';
export const LEAF = 'network.topology.nvidia.com/leaf';

export class FakeMembers implements GangMemberIndex {
  private readonly api: FakeApi;
  constructor(api: FakeApi) {
    this.api = api;
  }
  members(groupKey: string): readonly PodShape[] {
    return [...this.api.pods.values()]
      .filter(
        (p) => `${p.metadata.namespace}/${p.metadata.annotations?.['phalanx.dev/pod-group']}` === groupKey,
      )
      .map((p) => structuredClone(p) as PodShape);
  }
}

export class RecordingEvents implements EventRecorder {
  readonly events: { pod: string; type: string; reason: string; message: string }[] = [];
  podEvent(pod: PodRef, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.events.push({ pod: `${pod.namespace}/${pod.name}`, type, reason, message });
  }
}

export class CountingObserver implements GangObserver {
  readonly made: string[] = [];
  failed = 0;
  readonly released: ReleaseCause[] = [];
  readonly bound: { level: string; waitSeconds: number; commitSeconds?: number }[] = [];
  planMade(level: string): void {
    this.made.push(level);
  }
  planFailed(): void {
    this.failed += 1;
  }
  planReleased(cause: ReleaseCause): void {
    this.released.push(cause);
  }
  gangBound(level: string, waitSeconds: number, commitSeconds?: number): void {
    this.bound.push({ level, waitSeconds, ...(commitSeconds === undefined ? {} : { commitSeconds }) });
  }
}

export interface GangPodOptions {
  gpus?: number;
  fraction?: string;
  required?: string;
  preferred?: string;
  labels?: Record<string, string>;
  gated?: boolean;
  uid?: string;
  commit?: GangCommit;
}

export function gangPod(name: string, group: string, size: number, opts: GangPodOptions = {}): PodShape {
  const annotations: Record<string, string> = {
    'phalanx.dev/pod-group': group,
    'phalanx.dev/group-size': String(size),
  };
  if (opts.fraction) annotations['phalanx.dev/gpu-fraction'] = opts.fraction;
  if (opts.required) annotations['phalanx.dev/topology-required'] = opts.required;
  if (opts.preferred) annotations['phalanx.dev/topology-preferred'] = opts.preferred;
  if (opts.commit) annotations['phalanx.dev/gang-commit'] = opts.commit;
  const limits = opts.gpus ? { 'nvidia.com/gpu': String(opts.gpus) } : {};
  return {
    metadata: {
      name,
      namespace: 'ml',
      uid: opts.uid ?? `uid-${name}`,
      annotations,
      ...(opts.labels ? { labels: opts.labels } : {}),
    },
    spec: {
      containers: [{ name: 'main', resources: { limits } }],
      ...(opts.gated ? { schedulingGates: [{ name: 'phalanx.dev/gang' }] } : {}),
    },
    status: { phase: 'Pending' },
  };
}

export interface HarnessOptions {
  readonly inventories: NodeInventory[];
  readonly occupied?: CommittedFact[];
  readonly ttlMs?: number;
  readonly barrierMs?: number;
  readonly anchoredHoldMs?: number;
  /** Node objects and usage: members are then planned by their node rules too. */
  readonly nodes?: NodeLookup;
  readonly commit?: GangCommit;
}

export class GangHarness {
  readonly api = new FakeApi();
  readonly events = new RecordingEvents();
  readonly observer = new CountingObserver();
  readonly state: ClusterState;
  readonly coordinator: GangCoordinator;
  readonly service: SchedulingService;
  readonly nodes: string[];

  constructor(opts: HarnessOptions) {
    const restored = ClusterState.restore({}, opts.inventories, opts.occupied ?? []);
    expect(restored.rejected).toEqual([]);
    this.state = restored.state;
    this.nodes = opts.inventories.map((i) => i.name);
    const clock = { now: () => Date.now() };
    const ttl = opts.ttlMs ?? 60_000;
    const binding = new BindingWriter({ state: this.state, binder: this.api, pods: this.api });
    this.coordinator = new GangCoordinator({
      state: this.state,
      members: new FakeMembers(this.api),
      pods: this.api,
      clock,
      levels: DEFAULT_TOPOLOGY_LEVELS,
      policyFor: () => policyByName('binpack'),
      binding,
      reservationTtlMs: ttl,
      bindBarrierMs: opts.barrierMs ?? 25_000,
      ...(opts.anchoredHoldMs !== undefined ? { anchoredHoldMs: opts.anchoredHoldMs } : {}),
      ...(opts.nodes ? { nodes: opts.nodes } : {}),
      ...(opts.commit ? { commit: opts.commit } : {}),
      events: this.events,
      observer: this.observer,
    });
    this.service = new SchedulingService({
      state: this.state,
      policyFor: () => policyByName('binpack'),
      pods: this.api,
      binding,
      clock,
      reservationTtlMs: ttl,
      levels: DEFAULT_TOPOLOGY_LEVELS,
      notServingReason: () => undefined,
      gangs: this.coordinator,
    });
  }

  add(...pods: PodShape[]): void {
    for (const pod of pods) this.api.add(pod);
  }

  filter(pod: PodShape, nodes: readonly string[] = this.nodes) {
    return this.service.filter(pod, nodes);
  }

  /** Filter, expect exactly one feasible node, and return it. */
  plannedNode(pod: PodShape): string {
    const out = this.filter(pod);
    expect(out.feasible, JSON.stringify(out.unresolvable)).toHaveLength(1);
    return out.feasible[0]!;
  }

  bind(pod: PodShape, node: string): Promise<string> {
    const m = pod.metadata!;
    return this.service.bind({ namespace: m.namespace!, name: m.name!, uid: m.uid!, node });
  }

  /** Filter then bind on the planned node (the scheduler's path); the bind promise is not awaited. */
  schedule(pod: PodShape): Promise<string> {
    return this.bind(pod, this.plannedNode(pod));
  }

  reservations(): number {
    return this.state.ledger.reservations().length;
  }

  boundNodes(): Map<string, string> {
    return new Map(this.api.bindings.map((b) => [b.pod.name, b.node]));
  }
}
