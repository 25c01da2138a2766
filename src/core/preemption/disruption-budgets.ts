// PodDisruptionBudgets as the Eviction API applies them: every budget whose selector matches a pod
// (same namespace) must allow one more disruption for it. A victim set is refused when, for some
// budget, the victims it matches outnumber its status.disruptionsAllowed; Phalanx then prefers
// another domain instead of evicting half a set and being refused the rest.
import { labelSelectorMatches } from '../eligibility/label-selector.js';
import type { LabelSelectorShape, PodShape } from '../kube-shapes.js';

export interface DisruptionBudget {
  readonly namespace: string;
  readonly name: string;
  /** spec.selector; null/absent selects nothing, {} every pod of the namespace. */
  readonly selector?: LabelSelectorShape | undefined;
  /** status.disruptionsAllowed. */
  readonly disruptionsAllowed: number;
}

/** Why evicting all of `victims` would break a budget, or undefined when every budget allows it. */
export function budgetRefusal(
  victims: readonly PodShape[],
  budgets: readonly DisruptionBudget[],
): string | undefined {
  for (const budget of budgets) {
    const matched = victims.filter(
      (pod) =>
        (pod.metadata?.namespace ?? 'default') === budget.namespace &&
        labelSelectorMatches(budget.selector, pod.metadata?.labels ?? {}),
    ).length;
    if (matched > Math.max(0, budget.disruptionsAllowed)) {
      return `PodDisruptionBudget ${budget.namespace}/${budget.name} allows ${Math.max(0, budget.disruptionsAllowed)} disruption(s), the victims would be ${matched}`;
    }
  }
  return undefined;
}
