// When a leader plans waiting gangs ahead of their members (GangCoordinator.planAhead): once per
// term, as soon as it leads with a current view — at the ledger's rebuild, at the start of the term,
// else at the first housekeeping tick after the view caught up.
import type { GangCoordinator } from './gang-coordinator.js';
import { pendingGangMembers } from './gang-membership.js';
import type { GangMemberIndex } from '../ports.js';
import { DemandError } from '../../core/errors.js';
import type { PodShape } from '../../core/kube-shapes.js';
import type { PodDemand } from '../../core/types.js';

export interface PlanAheadDeps {
  readonly members: GangMemberIndex & { gangKeys(): Iterable<string> };
  readonly schedulerName: string;
  readonly gangs: Pick<GangCoordinator, 'planAhead'>;
  /** The pod's demand as the verbs read it; throws DemandError. */
  readonly demandOf: (pod: PodShape) => PodDemand;
  readonly leading: () => boolean;
  readonly onPlanned: (gangs: number) => void;
}

export class PlanAheadOnce {
  readonly #deps: PlanAheadDeps;
  #done = false;

  constructor(deps: PlanAheadDeps) {
    this.#deps = deps;
  }

  /** Plans ahead unless done this term, the view is behind, or this replica does not lead. */
  trigger(viewCurrent: boolean): void {
    const deps = this.#deps;
    if (this.#done || !viewCurrent || !deps.leading()) return;
    this.#done = true;
    const pending = pendingGangMembers(deps.members, deps.schedulerName).flatMap((pod) => {
      try {
        return [{ pod, demand: deps.demandOf(pod) }];
      } catch (err) {
        if (err instanceof DemandError) return []; // its own filter explains it
        throw err;
      }
    });
    const planned = deps.gangs.planAhead(pending);
    if (planned > 0) deps.onPlanned(planned);
  }

  /** The term ended: the next one plans ahead again. */
  reset(): void {
    this.#done = false;
  }
}
