// The outcome of asking "can this pod go on this node?", as a closed code set mirroring
// kube-scheduler's framework status codes, so the extender can map it onto its wire format
// (FailedNodes vs FailedAndUnresolvableNodes vs Error) without reading message text.

/**
 * - `fits`: the pod can be placed here now.
 * - `unschedulable`: not now, but evicting pods could make room (kube-scheduler's Unschedulable:
 *   preemption may help).
 * - `unresolvable`: never, whatever is evicted: no GPUs, wrong model, outside the gang's domain
 *   (UnschedulableAndUnresolvable: preemption skips the node).
 * - `error`: the pod could not be evaluated at all (not synced, not leader, internal failure);
 *   the scheduler retries the pod later.
 */
export const VerdictCode = {
  fits: 'fits',
  unschedulable: 'unschedulable',
  unresolvable: 'unresolvable',
  error: 'error',
} as const;

export type VerdictCode = (typeof VerdictCode)[keyof typeof VerdictCode];

/** A verdict; every code but `fits` carries a reason a person can act on. */
export type Verdict =
  | { readonly code: 'fits' }
  | { readonly code: 'unschedulable' | 'unresolvable' | 'error'; readonly reason: string };

export const FITS: Verdict = Object.freeze({ code: VerdictCode.fits });

export function unschedulable(reason: string): Verdict {
  return { code: VerdictCode.unschedulable, reason };
}

export function unresolvable(reason: string): Verdict {
  return { code: VerdictCode.unresolvable, reason };
}

export function verdictError(reason: string): Verdict {
  return { code: VerdictCode.error, reason };
}

/** Builds a verdict from a code and a reason (the reason is dropped for `fits`). */
export function verdict(code: VerdictCode, reason = ''): Verdict {
  return code === VerdictCode.fits ? FITS : { code, reason };
}

export function isFit(v: Verdict): v is { readonly code: 'fits' } {
  return v.code === VerdictCode.fits;
}

/** The reason of a non-fitting verdict, '' for `fits`. */
export function reasonOf(v: Verdict): string {
  return v.code === VerdictCode.fits ? '' : v.reason;
}
