import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fabricNodes, parseFabric } from '../../testbed/fabric.js';

const repoFile = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('fabric spec', () => {
  it('expands the demo fabric into 32 nodes of 8 H100s over 2 zones, 4 leaves and 8 cliques', () => {
    const nodes = fabricNodes(parseFabric(repoFile('testbed/fabric/demo.yaml')));
    expect(nodes).toHaveLength(32);
    expect(new Set(nodes.map((n) => n.zone))).toEqual(new Set(['zone-a', 'zone-b']));
    expect(new Set(nodes.map((n) => n.leaf)).size).toBe(4);
    expect(new Set(nodes.map((n) => n.clique)).size).toBe(8);
    expect(nodes.every((n) => n.gpus === 8)).toBe(true);
  });

  it('labels nodes like GPU Feature Discovery and gives them GPU status', () => {
    const [first] = fabricNodes(parseFabric(repoFile('testbed/fabric/demo.yaml')));
    expect(first?.name).toBe('leaf-a1-c1-n0');
    expect(first?.manifest.metadata?.labels).toMatchObject({
      type: 'kwok',
      'nvidia.com/gpu.clique': '0b4c6f3e-1a2d-4e5f-8a9b-a1a1a1a1a1a1.1',
      'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3',
      'nvidia.com/gpu.memory': '81559',
      'nvidia.com/gpu.count': '8',
      'network.topology.nvidia.com/leaf': 'leaf-a1',
      'topology.kubernetes.io/zone': 'zone-a',
    });
    expect(first?.manifest.metadata?.annotations).toEqual({ 'kwok.x-k8s.io/node': 'fake' });
    expect(first?.manifest.status?.allocatable).toEqual({
      cpu: '192',
      memory: '2Ti',
      pods: '110',
      'nvidia.com/gpu': '8',
    });
    expect(first?.manifest.status?.capacity).toEqual(first?.manifest.status?.allocatable);
    expect(first?.manifest.spec?.taints).toBeUndefined();
  });

  it('applies per-clique overrides on top of the defaults', () => {
    const nodes = fabricNodes(parseFabric(repoFile('testbed/fabric/small.yaml')));
    expect(nodes).toHaveLength(8);
    const a100 = nodes.filter(
      (n) => n.manifest.metadata?.labels?.['nvidia.com/gpu.product'] === 'NVIDIA-A100-SXM4-40GB',
    );
    expect(a100.map((n) => n.name)).toEqual(['leaf-a2-c2-n0', 'leaf-a2-c2-n1']);
    expect(a100.map((n) => n.gpus)).toEqual([2, 2]);
    expect(a100[0]?.manifest.metadata?.labels?.['nvidia.com/gpu.memory']).toBe('40960');
    expect(a100[0]?.manifest.status?.allocatable?.['cpu']).toBe('64');
    expect(nodes.reduce((sum, n) => sum + n.gpus, 0)).toBe(28);
  });

  it('names the offending field of an invalid spec', () => {
    const bad = `name: x\nnodeDefaults: {gpus: 8, gpuProduct: H100, gpuMemoryMiB: 1, cpu: '1', memory: 1Gi, pods: 10}\nzones:\n  - name: Zone_A\n    racks: []\n`;
    expect(() => parseFabric(bad)).toThrow(/zones\.0\.name: must be a DNS label/);
    expect(() => parseFabric(bad)).toThrow(/zones\.0\.racks/);
  });

  it('rejects two racks that produce the same node names', () => {
    const dup = `name: x
nodeDefaults: {gpus: 8, gpuProduct: H100, gpuMemoryMiB: 1, cpu: '1', memory: 1Gi, pods: 10}
zones:
  - name: a
    racks:
      - {leaf: l1, nvlinkDomain: aaaaaaaa-0001, cliques: [{id: 1, nodes: 1}]}
  - name: b
    racks:
      - {leaf: l1, nvlinkDomain: aaaaaaaa-0002, cliques: [{id: 1, nodes: 1}]}
`;
    expect(() => fabricNodes(parseFabric(dup))).toThrow('duplicate node name l1-c1-n0');
  });
});
