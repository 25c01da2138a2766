// What resolving a pod's gang at admission yields: the canonical annotation values, nothing, or the
// reason the pod is refused. Shared by the resolvers in admission-gang and admission-workload-pod-group.
import type { AdmissionReason } from '../../core/admission/admission-rules.js';
import type { GangSource } from '../../core/gang/workload-gangs.js';

export interface ResolvedGang {
  readonly source: GangSource;
  /** Value for phalanx.dev/pod-group. */
  readonly group: string;
  /**
   * Value for phalanx.dev/group-size. When it came from that very annotation it is passed through as
   * written, and pod-demand validation reports any fault under that name; sizes read elsewhere are
   * checked here so the message names where they came from.
   */
  readonly size: string;
  /** Value for phalanx.dev/topology-required, when the gang's owner states one (upstream PodGroup). */
  readonly topologyRequired?: string;
}

export type GangResolution =
  | { readonly kind: 'none' }
  | { readonly kind: 'gang'; readonly gang: ResolvedGang }
  | { readonly kind: 'refused'; readonly reason: AdmissionReason };
