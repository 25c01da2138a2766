// Priority preemption when Phalanx's informers trail kube-scheduler's, as a busy replica's do: Phalanx
// reaches the API server through a link that delivers every byte 400 ms late (testbed/lagging-link.ts).
// kube-scheduler sees the victims it evicted for a preemptor gone, and retries the preemptor at once;
// Phalanx still counts those victims' GPUs for a moment. Phalanx must not answer that moment by
// choosing other victims elsewhere: the preemptor lands on the node freed for it, and no pod beyond
// the first choice of victims is evicted (the scene of preemption.test.ts's first case).
import { beforeAll, beforeEach, describe, it } from 'vitest';
import { selectedK8sVersion } from '../../testbed/versions.js';
import { useE2E } from './support/e2e-cluster.js';
import { fewestVictimsScene, preemptionScene } from './support/preemption-scene.js';
import { SMALL_FABRIC } from './support/small-fabric.js';

const CLUSTER = 'phalanx-e2e-preemption-lag';
const NS = 'preempt-lag';
const LAG_MS = 400;
const e2e = useE2E(CLUSTER, { fabricFile: SMALL_FABRIC, namespaces: [NS], apiLagMs: LAG_MS });
// The scene starts once Phalanx's view has the placed pods too: the lag under test is the eviction's.
const scenes = preemptionScene(e2e, NS, CLUSTER, 3 * LAG_MS);

beforeAll(() => scenes.createPriorityClasses());
beforeEach(() => scenes.clear());

describe(`priority preemption with Phalanx's view 400 ms late (Kubernetes v${selectedK8sVersion()})`, () => {
  it('evicts only the first choice of victims, however late Phalanx sees them go', () =>
    fewestVictimsScene(scenes));
});
