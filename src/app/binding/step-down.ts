// What a replica lets go of when it stops leading. Its gang plans and reservations were decisions
// for Bindings it may no longer write; kept, they would refuse the bound pods the new leader writes
// (the informer cannot commit a bound pod over a reservation of the same devices), and that view
// would be wrong the day this replica leads again. Its ledger keeps only what the API server says.
import type { ClusterState } from '../../core/cluster-state.js';

export interface PlanHolder {
  /** Releases every gang plan; waiting members are told why. */
  abandonPlans(reason: string): void;
}

/** Returns how many reservations were dropped. */
export function stepDown(state: ClusterState, gangs: PlanHolder | undefined): number {
  gangs?.abandonPlans('this replica stopped leading');
  const reserved = state.ledger.reservations();
  for (const holding of reserved) state.release(holding.uid);
  return reserved.length;
}
