import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import {
  adminYaml,
  kueueGangMemberMeta,
  kueueTasObjects,
  kueueTopologyLevels,
} from '../../../benchmarks/lib/kueue-tas-objects.js';

describe('kueueTopologyLevels', () => {
  it("lists the fabric's labels broadest first and ends at the node", () => {
    expect(kueueTopologyLevels()).toEqual([
      'topology.kubernetes.io/zone',
      'network.topology.nvidia.com/leaf',
      'nvidia.com/gpu.clique',
      'kubernetes.io/hostname',
    ]);
  });

  it('keeps the hostname level once, last, when the given levels already name it', () => {
    expect(kueueTopologyLevels(['kubernetes.io/hostname', 'rack'])).toEqual([
      'rack',
      'kubernetes.io/hostname',
    ]);
  });
});

describe('kueueTasObjects', () => {
  const objects = kueueTasObjects({ namespace: 'topo-kueue', capacityGpus: 832 });

  it('builds a Topology, a TAS ResourceFlavor, a ClusterQueue and a LocalQueue, in apply order', () => {
    expect(objects.map((o) => o['kind'])).toEqual([
      'Topology',
      'ResourceFlavor',
      'ClusterQueue',
      'LocalQueue',
    ]);
    expect(new Set(objects.map((o) => o['apiVersion']))).toEqual(new Set(['kueue.x-k8s.io/v1beta2']));
  });

  it('binds the flavor to the Topology and to the GPU nodes, the ClusterQueue to the flavor', () => {
    const [topology, flavor, cq, lq] = objects;
    expect(topology?.['spec']).toEqual({
      levels: [
        { nodeLabel: 'topology.kubernetes.io/zone' },
        { nodeLabel: 'network.topology.nvidia.com/leaf' },
        { nodeLabel: 'nvidia.com/gpu.clique' },
        { nodeLabel: 'kubernetes.io/hostname' },
      ],
    });
    expect(flavor?.['spec']).toEqual({
      nodeLabels: { 'nvidia.com/gpu.present': 'true' },
      topologyName: 'bench-fabric',
    });
    expect(cq?.['spec']).toEqual({
      namespaceSelector: {},
      resourceGroups: [
        {
          coveredResources: ['cpu', 'memory', 'nvidia.com/gpu', 'phalanx.dev/gpu-milli'],
          flavors: [
            {
              name: 'bench-gpu-tas',
              resources: [
                { name: 'cpu', nominalQuota: '832' },
                { name: 'memory', nominalQuota: '832Gi' },
                { name: 'nvidia.com/gpu', nominalQuota: '832' },
                { name: 'phalanx.dev/gpu-milli', nominalQuota: '832000' },
              ],
            },
          ],
        },
      ],
    });
    expect(lq).toEqual({
      apiVersion: 'kueue.x-k8s.io/v1beta2',
      kind: 'LocalQueue',
      metadata: { name: 'bench-tas', namespace: 'topo-kueue' },
      spec: { clusterQueue: 'bench-tas' },
    });
  });
});

describe('adminYaml', () => {
  it('renders every object as one YAML document and counts its lines', () => {
    const objects = kueueTasObjects({ namespace: 'ns', capacityGpus: 8 });
    const admin = adminYaml(objects);
    expect(admin.objects).toBe(4);
    const docs = parseAllDocuments(admin.yaml).map((d) => d.toJS() as unknown);
    expect(docs).toEqual(objects);
    expect(admin.yaml.endsWith('\n')).toBe(true);
    expect(admin.lines).toBe(admin.yaml.match(/\n/g)?.length);
    expect(admin.lines).toBeGreaterThan(30);
  });
});

describe('kueueGangMemberMeta', () => {
  it('labels a member into the queue and its pod group and annotates the group size and the clique level', () => {
    expect(kueueGangMemberMeta('g007', 12)).toEqual({
      labels: { 'kueue.x-k8s.io/queue-name': 'bench-tas', 'kueue.x-k8s.io/pod-group-name': 'g007' },
      annotations: {
        'kueue.x-k8s.io/pod-group-total-count': '12',
        'kueue.x-k8s.io/podset-preferred-topology': 'nvidia.com/gpu.clique',
      },
    });
  });

  it('takes another queue and level', () => {
    const meta = kueueGangMemberMeta('j', 2, 'q', 'kubernetes.io/hostname');
    expect(meta.labels['kueue.x-k8s.io/queue-name']).toBe('q');
    expect(meta.annotations['kueue.x-k8s.io/podset-preferred-topology']).toBe('kubernetes.io/hostname');
  });
});
