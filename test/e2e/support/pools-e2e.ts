// A cluster on the pools fabric with the pools set up (pool-setup.ts) before the file's scenarios,
// and each node's pool and NVLink clique read once: shared by the scenarios that only place pods there.
import { beforeAll } from 'vitest';
import { CLIQUE_LABEL, nodeLabels } from '../../../testbed/gang-checks.js';
import type { E2E } from '../../../testbed/environment.js';
import { useE2E } from './e2e-cluster.js';
import { POOL, POOLS_FABRIC, setUpPools } from './pool-setup.js';

export interface PoolsE2E {
  readonly e2e: E2E;
  /** node → pool ('a', 'b', or '' outside the pools), filled before the first scenario. */
  readonly poolOf: Map<string, string>;
  /** node → NVLink clique, filled before the first scenario. */
  readonly cliqueOf: Map<string, string>;
}

export function usePoolsE2E(cluster: string, namespace: string): PoolsE2E {
  const e2e = useE2E(cluster, { namespaces: [namespace], fabricFile: POOLS_FABRIC });
  const poolOf = new Map<string, string>();
  const cliqueOf = new Map<string, string>();
  beforeAll(async () => {
    await setUpPools(e2e.core, namespace);
    for (const [node, labels] of await nodeLabels(e2e.core)) {
      poolOf.set(node, labels[POOL] ?? '');
      cliqueOf.set(node, labels[CLIQUE_LABEL] ?? '');
    }
  });
  return { e2e, poolOf, cliqueOf };
}
