// The live occupancy map behind /map and the fabric metrics: the fabric rebuilt at most once per
// change (ledger changes, pending-list changes, gang slot phases), views and searches over it. The
// caller feeds pod events and supplies the clock; nothing here does I/O.
import type { ClusterState } from '../cluster-state.js';
import type { GangRecord } from '../gang/gang-tracker.js';
import type { PodShape } from '../kube-shapes.js';
import { Decision, Req } from '../names.js';
import type { Clock } from '../types.js';
import { buildFabric, type Fabric } from './fabric-model.js';
import { searchFabric } from './fabric-search.js';
import type { HolderLookup, HolderPod, OccupancyView, SearchHit } from './occupancy-types.js';
import { DEFAULT_VIEW_LIMITS, projectView, type ViewLimits } from './occupancy-view.js';
import { PendingPods } from './pending-pods.js';
import { podMixOf } from './pod-mix.js';

/** A rebuild waits at least this many times as long as the last one took (see minRebuildMs). */
const BUILD_SHARE_FACTOR = 10;

export interface OccupancyMapDeps {
  readonly state: ClusterState;
  /** Configured topology levels, closest first. */
  readonly levels: readonly string[];
  readonly holder: HolderLookup;
  readonly plans: () => readonly GangRecord[];
  readonly schedulerName: string;
  readonly clock: Clock;
  readonly limits?: Partial<ViewLimits>;
  /**
   * The fabric is rebuilt at most this often (default 1000 ms), and never sooner than ten times the
   * last build took: a build runs on the event loop the scheduling verbs share (about 0.1 s at 5000
   * nodes × 8 GPUs), and a busy cluster changes every moment, so a watched map costs the verbs at
   * most a tenth of the loop. Answers in between carry the version they show, so readers ask again.
   */
  readonly minRebuildMs?: number;
}

/** What the map shows of a pod holding devices: its name, its gang, the level its gang achieved. */
export function holderFromPod(pod: PodShape): HolderPod {
  const namespace = pod.metadata?.namespace ?? 'default';
  const annotations = pod.metadata?.annotations ?? {};
  const group = annotations[Req.podGroup];
  const level = annotations[Decision.placementLevel];
  return {
    namespace,
    name: pod.metadata?.name ?? '',
    ...(group ? { gang: `${namespace}/${group}` } : {}),
    ...(level ? { level } : {}),
  };
}

/** Slot phases change without a ledger change (a member reaching the barrier): they are part of the version. */
function plansSignature(plans: readonly GangRecord[]): string {
  return plans.map((g) => `${g.key}:${g.slots.map((s) => s.phase[0] ?? '').join('')}`).join(',');
}

export class OccupancyMap {
  private readonly deps: OccupancyMapDeps;
  private readonly pendingPods: PendingPods;
  private readonly limits: ViewLimits;
  private changes = 0;
  private cached: Fabric | undefined;
  private builtAt = 0;
  private buildMs = 0;

  constructor(deps: OccupancyMapDeps) {
    this.deps = deps;
    this.pendingPods = new PendingPods(deps.schedulerName);
    this.limits = { ...DEFAULT_VIEW_LIMITS, ...deps.limits };
    deps.state.ledger.onNodeChange(() => {
      this.changes += 1;
    });
  }

  podChanged(pod: PodShape): void {
    // A bound pod's name, gang or level can appear after its holding did (the watch lags the bind).
    if (this.pendingPods.podChanged(pod) || (pod.spec?.nodeName ?? '') !== '') this.changes += 1;
  }

  podDeleted(pod: PodShape): void {
    if (this.pendingPods.podDeleted(pod)) this.changes += 1;
  }

  /** Changes whenever anything the map shows may have changed. */
  version(): string {
    return `${this.changes}|${plansSignature(this.deps.plans())}`;
  }

  /** The fabric as of now, rebuilt only when the version moved. */
  fabric(): Fabric {
    const version = this.version();
    if (this.cached?.version === version) return this.cached;
    const now = this.deps.clock.now();
    const wait = Math.max(this.deps.minRebuildMs ?? 1000, BUILD_SHARE_FACTOR * this.buildMs);
    if (this.cached !== undefined && now - this.builtAt < wait) return this.cached;
    this.builtAt = now;
    const state = this.deps.state;
    const committed = state.ledger.committed();
    const reserved = state.ledger.reservations();
    this.cached = buildFabric({
      state,
      levels: this.deps.levels,
      holder: this.deps.holder,
      committed,
      reserved,
      plans: this.deps.plans(),
      pending: this.pendingPods.list(),
      mix: podMixOf([...committed, ...reserved], this.changes),
      now,
      version,
    });
    this.buildMs = Math.max(0, this.deps.clock.now() - now);
    return this.cached;
  }

  view(open: ReadonlySet<string>): OccupancyView {
    return projectView(this.fabric(), { ...this.limits, open });
  }

  search(query: string, limit: number): SearchHit[] {
    return searchFabric(this.fabric(), query, limit);
  }
}
