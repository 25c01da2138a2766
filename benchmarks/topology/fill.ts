// Offers one configuration the gang sequence, one gang at a time, on an empty fabric: each gang waits
// until all members are bound or its time is up; then its unbound members are deleted (bound ones
// keep their GPUs, as a half-bound gang would in a real cluster) and the next gang comes.
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { ensureNamespace, forceDeletePods } from '../lib/namespaces.js';
import { watchPods, type PodTimes } from '../lib/pod-watch.js';
import type { Progress } from '../lib/progress.js';
import { FabricState, type FabricNodeInfo } from './fabric-state.js';
import type { GangSpec } from './gang-sequence.js';
import type { GangOutcome } from './metrics.js';
import type { Submitter } from './submit.js';

export interface FillOptions {
  readonly kc: KubeConfig;
  readonly namespace: string;
  readonly nodes: readonly FabricNodeInfo[];
  readonly gangs: readonly GangSpec[];
  readonly submitter: Submitter;
  readonly gangTimeoutMs: number;
  /** Stop offering gangs after this many were not bound whole. */
  readonly maxRefusals: number;
  readonly progress: Progress;
}

const SETTLE_MS = 1000;

function countBy(keys: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const k of keys) counts[k] = (counts[k] ?? 0) + 1;
  return counts;
}

export async function fill(opts: FillOptions): Promise<GangOutcome[]> {
  const { kc, namespace } = opts;
  const core = kc.makeApiClient(CoreV1Api);
  await ensureNamespace(kc, namespace);
  await forceDeletePods(kc, namespace);
  const state = new FabricState(opts.nodes);
  const where = new Map(opts.nodes.map((n) => [n.name, n]));
  const watch = await watchPods(kc, namespace);
  const outcomes: GangOutcome[] = [];
  let offeredGpus = 0;
  const offeredByPool = new Map<string, number>();
  let refusals = 0;
  try {
    for (const gang of opts.gangs) {
      offeredGpus += gang.size * gang.gpusPerMember;
      if (gang.pool !== undefined)
        offeredByPool.set(gang.pool, (offeredByPool.get(gang.pool) ?? 0) + gang.size * gang.gpusPerMember);
      const could = state.possibilities(gang.size, gang.gpusPerMember, gang.pool);
      // Evidence for the span of a gang no clique could hold: each clique's free member slots then.
      const slotsBefore = could.fitsClique
        ? undefined
        : Object.fromEntries(
            [...state.slotsBy('clique', gang.gpusPerMember, gang.pool)].filter(([, v]) => v > 0),
          );
      const allocatedBefore = state.allocatedFraction();
      const allocatedBeforePool = state.allocatedFraction(gang.pool);
      const members = (): PodTimes[] =>
        [...watch.pods.values()].filter((p) => p.labels['gang'] === gang.name);
      await opts.submitter.submit(gang);
      const whole = await watch.until(() => {
        const m = members();
        return m.length === gang.size && m.every((p) => p.boundMs !== undefined);
      }, opts.gangTimeoutMs);
      if (!whole) {
        await core.deleteCollectionNamespacedPod({
          namespace,
          labelSelector: `gang=${gang.name}`,
          fieldSelector: 'spec.nodeName=',
          gracePeriodSeconds: 0,
        });
        await opts.submitter.afterRefusal?.(gang);
        await new Promise((r) => setTimeout(r, SETTLE_MS));
      }
      const bound = members().filter((p) => p.boundMs !== undefined);
      for (const p of bound) if (p.node) state.take(p.node, gang.gpusPerMember);
      const cliques = new Set(bound.map((p) => where.get(p.node ?? '')?.clique));
      const racks = new Set(bound.map((p) => where.get(p.node ?? '')?.rack));
      const outcome: GangOutcome = {
        size: gang.size,
        ...(gang.pool === undefined
          ? {}
          : {
              pool: gang.pool,
              offeredPool: (offeredByPool.get(gang.pool) ?? 0) / state.capacityOf(gang.pool),
              allocatedBeforePool,
              outsidePool: bound.filter((p) => where.get(p.node ?? '')?.pool !== gang.pool).length,
            }),
        offered: offeredGpus / state.capacity,
        could,
        bound: bound.length,
        cliquesUsed: cliques.size,
        racksUsed: racks.size,
        allocatedBefore,
        membersByClique: countBy(bound.map((p) => where.get(p.node ?? '')?.clique ?? '?')),
        ...(slotsBefore === undefined ? {} : { cliqueSlotsBefore: slotsBefore }),
        ...(whole
          ? {
              boundMs:
                Math.max(...bound.map((p) => p.boundMs ?? 0)) - Math.max(...members().map((p) => p.seenMs)),
            }
          : {}),
      };
      outcomes.push(outcome);
      opts.progress.increment(
        `${opts.submitter.config} ${gang.name}×${gang.size} ${whole ? 'bound' : 'refused'}`,
      );
      if (!whole && ++refusals >= opts.maxRefusals) break;
    }
  } finally {
    watch.stop();
    await opts.submitter.clear?.();
    await forceDeletePods(kc, namespace);
    for (const gang of opts.gangs) await opts.submitter.cleanup(gang);
  }
  return outcomes;
}
