// The admin's work on the pools fabric (testbed/fabric/pools.yaml), shared by the scenarios that use
// it: rack leaf-r1 becomes pool a (one node cordoned, one node's CPU taken by a pod bound to it
// directly, as a DaemonSet's would be), rack leaf-r2 pool b (tainted pool=b:NoSchedule).
import { PatchStrategy, setHeaderOptions, type CoreV1Api, type V1Taint } from '@kubernetes/client-node';
import { isRunning } from '../../../testbed/observe.js';
import { waitFor } from '../../../testbed/wait.js';
import { PAUSE_IMAGE } from '../../../testbed/workloads.js';

export const POOLS_FABRIC = 'testbed/fabric/pools.yaml';
export const POOL = 'pool';
export const POOL_A_RACK = 'leaf-r1';
export const POOL_B_RACK = 'leaf-r2';
export const CORDONED = 'leaf-r1-c1-n0';
export const CPU_FULL = 'leaf-r1-c2-n0';
/** Pool a minus the cordoned node and the node whose CPU is taken. */
export const POOL_A_USABLE = ['leaf-r1-c1-n1', 'leaf-r1-c1-n2', 'leaf-r1-c2-n1', 'leaf-r1-c2-n2'];
export const POOL_B_TAINT: V1Taint = { key: POOL, value: 'b', effect: 'NoSchedule' };
const LEAF_LABEL = 'network.topology.nvidia.com/leaf';
const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** Labels, taints and cordons the pools, and binds the CPU-taking pod (`cpu-hog` in `namespace`). */
export async function setUpPools(core: CoreV1Api, namespace: string): Promise<void> {
  for (const node of (await core.listNode()).items) {
    const name = node.metadata?.name ?? '';
    const rack = node.metadata?.labels?.[LEAF_LABEL];
    if (rack !== POOL_A_RACK && rack !== POOL_B_RACK) continue;
    const pool = rack === POOL_A_RACK ? 'a' : 'b';
    const spec =
      pool === 'b'
        ? { taints: [...(node.spec?.taints ?? []), POOL_B_TAINT] }
        : name === CORDONED
          ? { unschedulable: true }
          : {};
    await core.patchNode({ name, body: { metadata: { labels: { [POOL]: pool } }, spec } }, mergePatch);
  }
  await core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name: 'cpu-hog', labels: { app: 'cpu-hog' } },
      spec: {
        nodeName: CPU_FULL,
        terminationGracePeriodSeconds: 0,
        containers: [
          { name: 'main', image: PAUSE_IMAGE, resources: { requests: { cpu: '95500m', memory: '1Gi' } } },
        ],
      },
    },
  });
  await waitFor('cpu-hog Running on its node', async () =>
    isRunning(await core.readNamespacedPod({ name: 'cpu-hog', namespace })) ? true : undefined,
  );
}
