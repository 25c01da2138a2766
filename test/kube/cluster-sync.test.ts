import { describe, expect, it } from 'vitest';
import { ClusterState } from '../../src/core/cluster-state.js';
import { nodeInventory } from '../../src/core/inventory.js';
import type { NodeShape, PodShape } from '../../src/core/kube-shapes.js';
import { rebuildLedger } from '../../src/core/ledger/snapshot.js';
import { NodeLabel } from '../../src/core/names.js';
import { ClusterSync, type RejectedPodFact } from '../../src/kube/cluster-sync.js';
import { recordingLogger } from '../fakes/kube-logger.js';
import { gpuNode, gpuPod } from '../fakes/kube-objects.js';

function setup() {
  const state = new ClusterState();
  const rejected: RejectedPodFact[] = [];
  const logger = recordingLogger();
  const sync = new ClusterSync(state, logger, { onRejectedFact: (f) => rejected.push(f) });
  return { state, sync, rejected, logger };
}

/** Started with these objects: both first lists delivered. */
function synced(nodes: NodeShape[], pods: PodShape[] = []) {
  const t = setup();
  t.sync.nodeHandlers.onInitialList(nodes);
  t.sync.podHandlers.onInitialList(pods);
  return t;
}

/** Per device "index:usedMilli:mode", the observable ledger state of one node. */
function devices(state: ClusterState, node: string): string[] {
  return (state.nodeState(node)?.devices ?? []).map((d) => `${d.index}:${d.usedMilli}:${d.mode}`);
}

describe('ClusterSync nodes', () => {
  it('follows add, relabel, capacity change and delete', () => {
    const t = synced([]);
    t.sync.nodeHandlers.onAdd(gpuNode('n1', 2, { [NodeLabel.zone]: 'z1' }));
    expect(devices(t.state, 'n1')).toEqual(['0:0:free', '1:0:free']);
    expect(t.state.graph.domainOf('n1', NodeLabel.zone)).toBe('z1');
    const relabelled = gpuNode('n1', 2, { [NodeLabel.zone]: 'z2' });
    t.sync.nodeHandlers.onUpdate(relabelled, gpuNode('n1', 2));
    expect(t.state.graph.domainOf('n1', NodeLabel.zone)).toBe('z2');
    t.sync.nodeHandlers.onUpdate(gpuNode('n1', 4, { [NodeLabel.zone]: 'z2' }), relabelled);
    expect(devices(t.state, 'n1')).toHaveLength(4);
    t.sync.nodeHandlers.onDelete(gpuNode('n1', 4));
    expect(t.state.nodeState('n1')).toBeUndefined();
    expect([...t.state.nodes()]).toEqual([]);
  });

  it('reports a node whose inventory is invalid and keeps the previous view', () => {
    const rejectedNodes: string[] = [];
    const state = new ClusterState();
    const sync = new ClusterSync(state, recordingLogger(), {
      onRejectedNode: (n, why) => rejectedNodes.push(`${n}: ${why}`),
    });
    sync.nodeHandlers.onInitialList([gpuNode('n1', 2)]);
    const broken = gpuNode('n1', 2);
    sync.nodeHandlers.onUpdate(
      { ...broken, metadata: { ...broken.metadata, annotations: { 'phalanx.dev/nvlink-islands': '0-5' } } },
      broken,
    );
    expect(rejectedNodes).toHaveLength(1);
    expect(rejectedNodes[0]).toContain('phalanx.dev/nvlink-islands');
    expect(devices(state, 'n1')).toEqual(['0:0:free', '1:0:free']);
  });

  it('passes every node event to onNodeSeen / onNodeDeleted, unchanged inventories included', () => {
    const seen: string[] = [];
    const sync = new ClusterSync(new ClusterState(), recordingLogger(), {
      onNodeSeen: (n) => seen.push(`seen ${n.metadata?.name ?? ''}`),
      onNodeDeleted: (name) => seen.push(`deleted ${name}`),
    });
    sync.nodeHandlers.onInitialList([gpuNode('n1', 2), gpuNode('n2', 0)]);
    sync.nodeHandlers.onUpdate(gpuNode('n1', 2), gpuNode('n1', 2));
    sync.nodeHandlers.onAdd(gpuNode('n3', 1));
    sync.nodeHandlers.onDelete(gpuNode('n2', 0));
    expect(seen).toEqual(['seen n1', 'seen n2', 'seen n1', 'seen n3', 'deleted n2']);
  });
});

describe('ClusterSync: a node deleted and back while the pod watch lags', () => {
  const onDevice1 = { node: 'n1', whole: true, devices: [{ index: 1, milli: 1000, memoryBytes: 0 }] };

  it('gives back the devices this replica bound, so nobody else gets them meanwhile', () => {
    const t = synced([gpuNode('n1', 2)]);
    // Bound by this replica a moment ago: committed, the pod watch has not shown the bound pod yet.
    expect(t.state.reserve('mine', onDevice1, 10_000).ok).toBe(true);
    expect(t.state.commit('mine').ok).toBe(true);
    t.sync.nodeHandlers.onDelete(gpuNode('n1', 2));
    t.sync.nodeHandlers.onAdd(gpuNode('n1', 2));
    expect(t.state.holding('mine')?.assignment).toEqual(onDevice1);
    expect(devices(t.state, 'n1')).toEqual(['0:0:free', '1:1000:whole']);
  });

  it('does not give back the devices of a pod deleted while its node was away', () => {
    const t = synced([gpuNode('n1', 2)]);
    const pod = gpuPod('gone', { node: 'n1', gpus: [1] });
    expect(t.state.reserve(pod.metadata!.uid!, onDevice1, 10_000).ok).toBe(true);
    expect(t.state.commit(pod.metadata!.uid!).ok).toBe(true);
    t.sync.nodeHandlers.onDelete(gpuNode('n1', 2));
    t.sync.podHandlers.onDelete({ ...pod, spec: { ...pod.spec, nodeName: undefined } });
    t.sync.nodeHandlers.onAdd(gpuNode('n1', 2));
    expect(t.state.holding(pod.metadata!.uid!)).toBeUndefined();
    expect(devices(t.state, 'n1')).toEqual(['0:0:free', '1:0:free']);
  });
});

describe('ClusterSync pods', () => {
  it('rebuilds from the first lists only when both arrived, then commits decisions', () => {
    const t = setup();
    t.sync.podHandlers.onInitialList([
      gpuPod('whole', { node: 'n1', gpus: [2], devices: '0,1' }),
      gpuPod('share', { node: 'n1', devices: '2:500m', fraction: '0.5' }),
      gpuPod('pending', { gpus: [1] }),
    ]);
    expect(t.sync.isAccounted()).toBe(false);
    t.sync.nodeHandlers.onInitialList([gpuNode('n1', 4)]);
    expect(t.sync.isAccounted()).toBe(true);
    expect(devices(t.state, 'n1')).toEqual(['0:1000:whole', '1:1000:whole', '2:500:shared', '3:0:free']);
    expect(t.state.holding('uid-whole')?.state).toBe('committed');
    expect(t.state.holding('uid-pending')).toBeUndefined();
    expect(t.rejected).toEqual([]);
  });

  it('commits a pod when it becomes bound with a decision, promoting the reservation bind made', () => {
    const t = synced([gpuNode('n1', 4)]);
    const pending = gpuPod('p', { gpus: [1] });
    t.sync.podHandlers.onAdd(pending);
    const assignment = { node: 'n1', whole: true, devices: [{ index: 3, milli: 1000, memoryBytes: 0 }] };
    expect(t.state.reserve('uid-p', assignment, Number.MAX_SAFE_INTEGER).ok).toBe(true);
    // A status-only update of the pending pod must not drop the reservation.
    t.sync.podHandlers.onUpdate({ ...pending, status: { phase: 'Pending' } }, pending);
    expect(t.state.holding('uid-p')?.state).toBe('reserved');
    t.sync.podHandlers.onUpdate(gpuPod('p', { node: 'n1', gpus: [1], devices: '3' }), pending);
    expect(t.state.holding('uid-p')?.state).toBe('committed');
    expect(devices(t.state, 'n1')).toEqual(['0:0:free', '1:0:free', '2:0:free', '3:1000:whole']);
  });

  it('keeps GPUs of a terminating pod until it is deleted', () => {
    const bound = gpuPod('t', { node: 'n1', gpus: [1], devices: '0' });
    const t = synced([gpuNode('n1', 2)], [bound]);
    const terminating = gpuPod('t', { node: 'n1', gpus: [1], devices: '0', deleting: true });
    t.sync.podHandlers.onUpdate(terminating, bound);
    expect(devices(t.state, 'n1')).toEqual(['0:1000:whole', '1:0:free']);
    t.sync.podHandlers.onDelete(terminating);
    expect(devices(t.state, 'n1')).toEqual(['0:0:free', '1:0:free']);
    expect(t.sync.pods.get('ml', 't')).toBeUndefined();
  });

  it.each(['Succeeded', 'Failed'])('releases a pod that %s', (phase) => {
    const bound = gpuPod('j', { node: 'n1', devices: '1:250m', fraction: '0.25' });
    const t = synced([gpuNode('n1', 2)], [bound]);
    expect(devices(t.state, 'n1')).toEqual(['0:0:free', '1:250:shared']);
    t.sync.podHandlers.onUpdate(
      gpuPod('j', { node: 'n1', devices: '1:250m', fraction: '0.25', phase }),
      bound,
    );
    expect(devices(t.state, 'n1')).toEqual(['0:0:free', '1:0:free']);
  });

  it('does not count finished pods at restart', () => {
    const t = synced(
      [gpuNode('n1', 2)],
      [gpuPod('done', { node: 'n1', gpus: [2], devices: '0,1', phase: 'Succeeded' })],
    );
    expect(devices(t.state, 'n1')).toEqual(['0:0:free', '1:0:free']);
  });

  it('counts a multi-container pod by its total', () => {
    const t = synced([gpuNode('n1', 4)], [gpuPod('multi', { node: 'n1', gpus: [1, 2] })]);
    expect(devices(t.state, 'n1').filter((d) => d.endsWith('whole'))).toHaveLength(3);
  });

  it('counts whole GPUs of pods bound by another scheduler and re-derives them when the node changes', () => {
    const t = synced(
      [gpuNode('n1', 4)],
      [gpuPod('ext-a', { node: 'n1', gpus: [2], created: '2026-01-01T00:00:01Z' })],
    );
    t.sync.podHandlers.onAdd(gpuPod('ext-b', { node: 'n1', gpus: [2], created: '2026-01-01T00:00:02Z' }));
    expect(t.state.holding('uid-ext-a')?.assignment.devices.map((d) => d.index)).toEqual([0, 1]);
    expect(t.state.holding('uid-ext-b')?.assignment.devices.map((d) => d.index)).toEqual([2, 3]);
    t.sync.podHandlers.onDelete(gpuPod('ext-a', { node: 'n1', gpus: [2] }));
    // The node shrinks to two devices: ext-b no longer fits on 2,3 and is placed again on 0,1.
    t.sync.nodeHandlers.onUpdate(gpuNode('n1', 2), gpuNode('n1', 4));
    expect(t.state.holding('uid-ext-b')?.assignment.devices.map((d) => d.index)).toEqual([0, 1]);
    expect(devices(t.state, 'n1')).toEqual(['0:1000:whole', '1:1000:whole']);
    expect(t.rejected).toEqual([]);
  });

  it('reports a decision naming a device the node does not have', () => {
    const t = synced([gpuNode('n1', 4)], [gpuPod('forged', { node: 'n1', gpus: [1], devices: '7' })]);
    expect(t.rejected).toHaveLength(1);
    expect(t.rejected[0]).toMatchObject({ pod: 'ml/forged', node: 'n1' });
    expect(t.rejected[0]?.reason).toMatch(/7/);
    expect(t.logger.lines.some((l) => l.level === 'error')).toBe(true);
  });

  it('reports a garbage decision, and still counts the whole GPUs the pod holds', () => {
    const t = synced(
      [gpuNode('n1', 4)],
      [
        gpuPod('garbage-whole', { node: 'n1', gpus: [2], devices: 'zero,one' }),
        gpuPod('garbage-share', { node: 'n1', fraction: '0.5', devices: '1:1500m' }),
      ],
    );
    expect(t.rejected.map((r) => r.pod).sort()).toEqual(['ml/garbage-share', 'ml/garbage-whole']);
    expect(t.rejected.find((r) => r.pod === 'ml/garbage-whole')?.reason).toContain('phalanx.dev/gpu-devices');
    expect(devices(t.state, 'n1').filter((d) => d.endsWith('whole'))).toHaveLength(2);
  });

  it('retries a bound pod once its node appears', () => {
    const t = synced([], [gpuPod('early', { node: 'late', gpus: [1], devices: '0' })]);
    expect(t.rejected).toHaveLength(1);
    t.sync.nodeHandlers.onAdd(gpuNode('late', 1));
    expect(devices(t.state, 'late')).toEqual(['0:1000:whole']);
  });

  it('treats a pod recreated under the same name as a new pod', () => {
    const first = gpuPod('r', { node: 'n1', gpus: [1], devices: '0' });
    const t = synced([gpuNode('n1', 2)], [first]);
    const second = gpuPod('r', { uid: 'uid-r2', node: 'n1', gpus: [1], devices: '1' });
    t.sync.podHandlers.onUpdate(second, first);
    expect(t.state.holding('uid-r')).toBeUndefined();
    expect(devices(t.state, 'n1')).toEqual(['0:0:free', '1:1000:whole']);
    expect(t.sync.pods.get('ml', 'r')?.metadata?.uid).toBe('uid-r2');
  });

  it('indexes pods by name and gang members by group', () => {
    const t = synced(
      [gpuNode('n1', 2)],
      [gpuPod('a', { group: 'g', gpus: [1] }), gpuPod('b', { group: 'g', gpus: [1] })],
    );
    t.sync.podHandlers.onAdd(gpuPod('c', { group: 'other', gpus: [1], namespace: 'ml' }));
    expect(
      t.sync.pods
        .members('ml/g')
        .map((p) => p.metadata?.name)
        .sort(),
    ).toEqual(['a', 'b']);
    t.sync.podHandlers.onDelete(gpuPod('a', { group: 'g', gpus: [1] }));
    expect(t.sync.pods.members('ml/g').map((p) => p.metadata?.name)).toEqual(['b']);
    expect(t.sync.pods.get('ml', 'c')?.metadata?.uid).toBe('uid-c');
  });

  it('rebuilds after a restart to exactly the live state', () => {
    const live = synced([gpuNode('n1', 4), gpuNode('n2', 2)]);
    const objects = new Map<string, PodShape>();
    const put = (pod: PodShape): void => {
      const name = pod.metadata?.name ?? '';
      const old = objects.get(name);
      objects.set(name, pod);
      if (old === undefined) live.sync.podHandlers.onAdd(pod);
      else live.sync.podHandlers.onUpdate(pod, old);
    };
    put(gpuPod('a', { node: 'n1', gpus: [2], devices: '0,1' }));
    put(gpuPod('b', { node: 'n1', fraction: '0.3', devices: '2:300m' }));
    put(gpuPod('c', { node: 'n1', fraction: '0.5', devices: '2:500m' }));
    put(gpuPod('ext', { node: 'n2', gpus: [1], created: '2026-01-01T00:00:05Z' }));
    put(gpuPod('d', { node: 'n2', gpus: [1], devices: '1' }));
    put(gpuPod('c', { node: 'n1', fraction: '0.5', devices: '2:500m', phase: 'Succeeded' }));
    put(gpuPod('a', { node: 'n1', gpus: [2], devices: '0,1', deleting: true }));
    const restarted = synced([gpuNode('n1', 4), gpuNode('n2', 2)], [...objects.values()]);
    for (const node of ['n1', 'n2'])
      expect(devices(restarted.state, node)).toEqual(devices(live.state, node));
    expect(devices(live.state, 'n1')).toEqual(['0:1000:whole', '1:1000:whole', '2:300:shared', '3:0:free']);
    expect(devices(live.state, 'n2')).toEqual(['0:1000:whole', '1:1000:whole']);
    // And the same as the core's own rebuild from the committed facts.
    const core = rebuildLedger(
      [gpuNode('n1', 4), gpuNode('n2', 2)].map(nodeInventory),
      live.state.ledger.committed(),
    );
    expect(core.rejected).toEqual([]);
    for (const node of ['n1', 'n2']) {
      expect(core.ledger.nodeState(node)?.devices).toEqual(live.state.nodeState(node)?.devices);
    }
  });
});
