// One Phalanx process over the faulty API server, wired as src/cli/serve.ts wires it (the app layer
// and ClusterSync, the HTTP adapters left out): its own ledger rebuilt from a list of the API server
// at start, kept current by watch events the harness delivers when it chooses, a housekeeping tick
// each second, and a fence that is true only while it leads and lives. A killed replica's promises
// and timers keep running, as a partitioned process's would; the fence keeps them from writing.
import { BindingWriter } from '../../../src/app/binding/binding-writer.js';
import { timerSleep } from '../../../src/app/binding/bind-retry.js';
import { HalfBoundGangs } from '../../../src/app/binding/half-bound-gangs.js';
import { stepDown } from '../../../src/app/binding/step-down.js';
import { GangCoordinator } from '../../../src/app/gang/gang-coordinator.js';
import type { LeaderFence } from '../../../src/app/ports.js';
import { SchedulingService } from '../../../src/app/scheduling/scheduling-service.js';
import { ClusterState } from '../../../src/core/cluster-state.js';
import type { NodeShape, PodShape } from '../../../src/core/kube-shapes.js';
import { DEFAULT_TOPOLOGY_LEVELS } from '../../../src/core/names.js';
import { policyByName } from '../../../src/core/policies/registry.js';
import { ClusterSync } from '../../../src/kube/cluster-sync.js';
import type { KubeLogger } from '../../../src/kube/kube-logger.js';
import type { FaultyCluster, WatchEvent } from '../../fakes/faulty-cluster.js';

export const TTL_MS = 60_000;
export const BARRIER_MS = 25_000;
export const ANCHORED_HOLD_MS = 600_000;
export const HALF_BOUND_GRACE_MS = 60_000;

const silent: KubeLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silent,
};

export class Replica implements LeaderFence {
  readonly name: string;
  readonly state = new ClusterState({ levels: DEFAULT_TOPOLOGY_LEVELS });
  readonly sync: ClusterSync;
  readonly coordinator: GangCoordinator;
  readonly service: SchedulingService;
  readonly halfBound: HalfBoundGangs;
  leading = false;
  alive = true;
  readonly #cluster: FaultyCluster;
  readonly #queue: WatchEvent[];
  readonly #seen = new Map<string, PodShape>();
  readonly #housekeeping: ReturnType<typeof setInterval>;

  constructor(name: string, cluster: FaultyCluster) {
    this.name = name;
    this.#cluster = cluster;
    const clock = { now: () => Date.now() };
    const policy = policyByName('binpack');
    this.sync = new ClusterSync(this.state, silent, {
      onPodChanged: (pod) => this.halfBound.podChanged(pod),
      onPodDeleted: (pod) => this.coordinator.memberDeleted(pod.metadata?.uid ?? ''),
    });
    const binding = new BindingWriter({ state: this.state, binder: cluster, pods: cluster, fence: this });
    this.coordinator = new GangCoordinator({
      state: this.state,
      members: this.sync.pods,
      pods: cluster,
      clock,
      levels: DEFAULT_TOPOLOGY_LEVELS,
      policyFor: () => policy,
      binding,
      reservationTtlMs: TTL_MS,
      bindBarrierMs: BARRIER_MS,
      anchoredHoldMs: ANCHORED_HOLD_MS,
      evictor: cluster,
      fence: this,
    });
    this.halfBound = new HalfBoundGangs({
      members: this.sync.pods,
      clock,
      levels: DEFAULT_TOPOLOGY_LEVELS,
      planned: () => new Set(this.coordinator.plans().map((g) => g.key)),
      unwind: { evictor: cluster, fence: this, sleep: timerSleep },
      graceMs: HALF_BOUND_GRACE_MS,
    });
    this.service = new SchedulingService({
      state: this.state,
      policyFor: () => policy,
      pods: cluster,
      binding,
      clock,
      reservationTtlMs: TTL_MS,
      levels: DEFAULT_TOPOLOGY_LEVELS,
      notServingReason: () => (this.holdsLeaseWithMargin() ? undefined : `${name} is not the leader`),
      gangs: this.coordinator,
    });
    const start = cluster.subscribe();
    this.#queue = start.queue;
    this.sync.nodeHandlers.onInitialList(start.nodes);
    for (const pod of start.pods) this.#seen.set(podKey(pod), pod);
    this.sync.podHandlers.onInitialList(start.pods);
    this.#housekeeping = setInterval(() => this.housekeeping(), 1_000);
  }

  holdsLeaseWithMargin(): boolean {
    return this.alive && this.leading;
  }

  stepDown(): void {
    stepDown(this.state, this.coordinator);
  }

  housekeeping(): void {
    this.state.expire(Date.now());
    this.coordinator.sweep();
    if (this.holdsLeaseWithMargin()) this.halfBound.sweep();
  }

  pendingEvents(): number {
    return this.#queue.length;
  }

  /** Delivers up to `count` queued watch events, oldest first. */
  deliver(count = Number.POSITIVE_INFINITY): void {
    for (let i = 0; i < count && this.#queue.length > 0; i++) this.#apply(this.#queue.shift()!);
  }

  /** The process dies: it stops watching and its timers stop; in-flight promises are fenced. */
  kill(): void {
    this.alive = false;
    this.leading = false;
    clearInterval(this.#housekeeping);
    this.#cluster.unsubscribe(this.#queue);
  }

  #apply(event: WatchEvent): void {
    if (event.kind === 'node') {
      const node: NodeShape = event.node;
      if (event.type === 'ADDED') this.sync.nodeHandlers.onAdd(node);
      else this.sync.nodeHandlers.onDelete(node);
      return;
    }
    const key = podKey(event.pod);
    const old = this.#seen.get(key);
    if (event.type === 'DELETED') {
      this.#seen.delete(key);
      if (old !== undefined) this.sync.podHandlers.onDelete(event.pod);
      return;
    }
    this.#seen.set(key, event.pod);
    if (old === undefined) this.sync.podHandlers.onAdd(event.pod);
    else this.sync.podHandlers.onUpdate(event.pod, old);
  }
}

function podKey(pod: PodShape): string {
  return `${pod.metadata?.namespace}/${pod.metadata?.name}`;
}
