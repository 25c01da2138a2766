// PodDisruptionBudgets (policy/v1) for Phalanx's own preemption, listed fresh when a decision is made
// rather than watched: the list is bounded (one per decision, decisions run one at a time on the
// leader, a preemptor is decided for at most once per retry interval or live hold, the queue is
// capped), and decisions are rare next to filters, so an informer would cost a watch and a cache on
// every replica for reads that happen a few times a minute. A fresh list also carries the
// disruption controller's latest disruptionsAllowed, which the Eviction API checks again anyway.
import type { KubeConfig } from '@kubernetes/client-node';
import { PolicyV1Api, type V1PodDisruptionBudget } from '@kubernetes/client-node';
import type { DisruptionBudgetSource } from '../app/preemption/ports.js';
import type { DisruptionBudget } from '../core/preemption/disruption-budgets.js';

export type BudgetListApi = Pick<PolicyV1Api, 'listPodDisruptionBudgetForAllNamespaces'>;

export function budgetOf(pdb: V1PodDisruptionBudget): DisruptionBudget {
  return {
    namespace: pdb.metadata?.namespace ?? 'default',
    name: pdb.metadata?.name ?? '',
    ...(pdb.spec?.selector ? { selector: pdb.spec.selector } : {}),
    // A budget the disruption controller has not computed yet allows nothing (as the Eviction API says).
    disruptionsAllowed: pdb.status?.disruptionsAllowed ?? 0,
  };
}

export class ApiDisruptionBudgets implements DisruptionBudgetSource {
  readonly #api: BudgetListApi;

  constructor(api: BudgetListApi) {
    this.#api = api;
  }

  static fromConfig(kc: KubeConfig): ApiDisruptionBudgets {
    return new ApiDisruptionBudgets(kc.makeApiClient(PolicyV1Api));
  }

  async budgets(): Promise<readonly DisruptionBudget[]> {
    const list = await this.#api.listPodDisruptionBudgetForAllNamespaces();
    return list.items.map(budgetOf);
  }
}
