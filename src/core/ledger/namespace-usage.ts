// GPU share in use per namespace, from the ledger's holdings: what the per-namespace gauges show next
// to ResourceQuota and Kueue, so a team sees its use in the same milli-GPU the quotas count.
import type { Holding } from './gpu-ledger.js';

/** Where a holding's pod is not known (yet) to the caller's pod index. */
export const UNKNOWN_NAMESPACE = '<unknown>';

/**
 * Milli-GPU held per namespace by bound pods (committed holdings; displaced ones hold nothing on a
 * device, reservations are not bound yet). A whole device counts 1000.
 */
export function gpuMilliByNamespace(
  holdings: Iterable<Holding>,
  namespaceOf: (uid: string) => string | undefined,
): Map<string, number> {
  const usage = new Map<string, number>();
  for (const h of holdings) {
    if (h.state !== 'committed' || h.displaced === true) continue;
    let milli = 0;
    for (const share of h.assignment.devices) milli += share.milli;
    if (milli === 0) continue;
    const namespace = namespaceOf(h.uid) ?? UNKNOWN_NAMESPACE;
    usage.set(namespace, (usage.get(namespace) ?? 0) + milli);
  }
  return usage;
}
