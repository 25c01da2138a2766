import { describe, expect, it } from 'vitest';
import type { PodShape } from '../../src/core/kube-shapes.js';
import { NodeIndex } from '../../src/kube/node-index.js';
import { IndexedNodeLookup } from '../../src/kube/node-lookup.js';
import { PodIndex } from '../../src/kube/pod-index.js';

function node(name: string, labels: Record<string, string> = {}) {
  return { metadata: { name, labels }, status: { allocatable: { cpu: '8', pods: '10' } } };
}

function pod(name: string, nodeName: string, cpu: string, extra: Partial<PodShape> = {}): PodShape {
  return {
    metadata: { name, namespace: 'ml', uid: `uid-${name}` },
    spec: {
      nodeName,
      containers: [
        { name: 'm', resources: { requests: { cpu } }, ports: [{ containerPort: 80, hostPort: 8080 }] },
      ],
    },
    status: { phase: 'Running' },
    ...extra,
  };
}

describe('IndexedNodeLookup', () => {
  it('sums what every unfinished pod on a node requests, whoever placed it, and follows changes', () => {
    const nodes = new NodeIndex();
    const pods = new PodIndex();
    const lookup = new IndexedNodeLookup(nodes, pods);
    pods.upsert(pod('a', 'n1', '2'));
    pods.upsert(pod('b', 'n1', '500m'));
    pods.upsert(pod('done', 'n1', '4', { status: { phase: 'Succeeded' } }));
    expect(lookup.usage('n1')).toEqual({
      requested: { cpu: 2500 },
      podCount: 2,
      hostPorts: [
        { hostIP: '0.0.0.0', protocol: 'TCP', port: 8080 },
        { hostIP: '0.0.0.0', protocol: 'TCP', port: 8080 },
      ],
    });
    pods.remove(pod('a', 'n1', '2'));
    expect(lookup.usage('n1').requested).toEqual({ cpu: 500 });
    expect(lookup.usage('empty')).toEqual({ requested: {}, podCount: 0, hostPorts: [] });
  });

  it('counts distinct label values over the nodes, again after a node change', () => {
    const nodes = new NodeIndex();
    const lookup = new IndexedNodeLookup(nodes, new PodIndex());
    nodes.upsert(node('n1', { zone: 'a' }));
    nodes.upsert(node('n2', { zone: 'a' }));
    expect(lookup.distinctValues('zone')).toBe(1);
    nodes.upsert(node('n3', { zone: 'b' }));
    expect(lookup.distinctValues('zone')).toBe(2);
    expect(lookup.distinctValues('kubernetes.io/hostname')).toBe(3);
    expect(lookup.labelOf('n1', 'kubernetes.io/hostname')).toBe('n1');
    expect(lookup.labelOf('unknown', 'kubernetes.io/hostname')).toBeUndefined();
  });
});
