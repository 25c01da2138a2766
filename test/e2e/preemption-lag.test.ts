// Priority preemption when Phalanx's informers trail kube-scheduler's, as a busy replica's do: Phalanx
// reaches the API server through a link that delivers every byte 400 ms late (testbed/lagging-link.ts).
// The preemptor comes right after the last pods are bound: Phalanx weighs the pods it bound itself
// on their nodes before its informer delivers them. kube-scheduler then sees the victims it evicted
// gone and retries the preemptor at once, while Phalanx still counts their GPUs for a moment:
// Phalanx must not answer that moment by choosing other victims elsewhere. The preemptor lands on
// the node freed for it, and no pod beyond the first choice is evicted (the scene of
// preemption.test.ts's first case).
import { beforeAll, beforeEach, describe, it } from 'vitest';
import { selectedK8sVersion } from '../../testbed/versions.js';
import { useE2E } from './support/e2e-cluster.js';
import { fewestVictimsScene, preemptionScene } from './support/preemption-scene.js';
import { SMALL_FABRIC } from './support/small-fabric.js';

const CLUSTER = 'phalanx-e2e-preemption-lag';
const NS = 'preempt-lag';
const LAG_MS = 400;
const e2e = useE2E(CLUSTER, { fabricFile: SMALL_FABRIC, namespaces: [NS], apiLagMs: LAG_MS });
const scenes = preemptionScene(e2e, NS, CLUSTER);

beforeAll(() => scenes.createPriorityClasses());
beforeEach(() => scenes.clear());

describe(`priority preemption with Phalanx's view 400 ms late (Kubernetes v${selectedK8sVersion()})`, () => {
  it('evicts only the first choice of victims, however late Phalanx sees them go', () =>
    fewestVictimsScene(scenes));
});
