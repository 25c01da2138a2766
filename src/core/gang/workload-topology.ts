// An upstream Workload API PodGroup's topology constraint as a Phalanx required level. Its keys are
// node labels; each must be one of Phalanx's topology levels, or kubernetes.io/hostname (Phalanx's
// `node` level). Every member within one domain of each key means: within one domain of the tightest.
import { NODE_LEVEL, WorkloadApi } from '../names.js';

export type TopologyKeysLevel =
  /** No topology key: nothing required. */
  | { readonly kind: 'none' }
  /** Value for phalanx.dev/topology-required. */
  | { readonly kind: 'level'; readonly level: string }
  /** `keys[index]` is no topology level; `known` lists the keys that are, closest first. */
  | {
      readonly kind: 'unknown';
      readonly index: number;
      readonly key: string;
      readonly known: readonly string[];
    };

/** The required level the keys amount to, given the configured levels (closest first). */
export function levelOfTopologyKeys(keys: readonly string[], levels: readonly string[]): TopologyKeysLevel {
  const order = [NODE_LEVEL, ...levels];
  let tightest: number | undefined;
  for (const [index, key] of keys.entries()) {
    const rank = key === WorkloadApi.hostnameLabel ? 0 : levels.indexOf(key) + 1;
    if (rank === 0 && key !== WorkloadApi.hostnameLabel) {
      return { kind: 'unknown', index, key, known: [WorkloadApi.hostnameLabel, ...levels] };
    }
    tightest = tightest === undefined ? rank : Math.min(tightest, rank);
  }
  const level = tightest === undefined ? undefined : order[tightest];
  return level === undefined ? { kind: 'none' } : { kind: 'level', level };
}
