// Fabric spec (testbed/fabric/*.yaml) → fake GPU Node objects for KWOK.
// Shape: zones → racks (one network leaf and one NVLink domain each) → NVLink cliques → nodes.
// Nodes carry the labels GPU Feature Discovery and Topograph would set, and a status with the
// GPU count as allocatable `nvidia.com/gpu`, so kube-scheduler and Phalanx see real-looking nodes.
import { parse } from 'yaml';
import { z } from 'zod';
import type { V1Node, V1Taint } from '@kubernetes/client-node';
import { NodeLabel, Resource } from '../src/core/names.js';

/** Annotation KWOK's controller selects the nodes it manages by (kwokctl's default selector). */
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';
/** Label on every fabric node, so the harness can list exactly the nodes it created. */
export const FABRIC_NODE_LABEL = 'type';
export const FABRIC_NODE_LABEL_VALUE = 'kwok';

const dnsLabel = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a DNS label');

const nodeShape = z.object({
  gpus: z.number().int().min(0).max(64),
  gpuProduct: z.string().min(1),
  gpuMemoryMiB: z.number().int().positive(),
  cpu: z.string().min(1),
  memory: z.string().min(1),
  pods: z.number().int().positive(),
});
type NodeShapeSpec = z.infer<typeof nodeShape>;

const cliqueSpec = z.object({
  /** NVLink clique id inside the rack's NVLink domain (GFD reports it as a number). */
  id: z.number().int().min(0),
  nodes: z.number().int().min(1).max(1000),
  node: nodeShape.partial().optional(),
});

const rackSpec = z.object({
  /** Network leaf (ToR) name: label network.topology.nvidia.com/leaf, and the node-name prefix. */
  leaf: dnsLabel,
  /** NVLink domain UUID (GFD's clusterUUID); the clique label is `<nvlinkDomain>.<clique id>`. */
  nvlinkDomain: z.string().regex(/^[0-9a-f-]{8,64}$/, 'must be a lowercase UUID'),
  cliques: z.array(cliqueSpec).min(1),
});

const fabricSpec = z.object({
  name: dnsLabel,
  nodeDefaults: nodeShape,
  zones: z.array(z.object({ name: dnsLabel, racks: z.array(rackSpec).min(1) })).min(1),
});
export type FabricSpec = z.infer<typeof fabricSpec>;

/** Where one fabric node sits, as the harness and tests want to read it back. */
export interface FabricNode {
  readonly name: string;
  readonly zone: string;
  readonly leaf: string;
  readonly clique: string;
  readonly gpus: number;
  readonly manifest: V1Node;
}

/** Parses and validates a fabric spec; errors name the offending field. */
export function parseFabric(yamlText: string): FabricSpec {
  const result = fabricSpec.safeParse(parse(yamlText));
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid fabric spec: ${issues.join('; ')}`);
  }
  return result.data;
}

/** Expands a fabric spec into one Node manifest per node, in a stable order. */
export function fabricNodes(spec: FabricSpec): FabricNode[] {
  const nodes: FabricNode[] = [];
  const seen = new Set<string>();
  for (const zone of spec.zones) {
    for (const rack of zone.racks) {
      for (const clique of rack.cliques) {
        const shape = nodeShape.parse({ ...spec.nodeDefaults, ...clique.node });
        const cliqueLabel = `${rack.nvlinkDomain}.${clique.id}`;
        for (let i = 0; i < clique.nodes; i++) {
          const name = `${rack.leaf}-c${clique.id}-n${i}`;
          if (seen.has(name)) throw new Error(`invalid fabric spec: duplicate node name ${name}`);
          seen.add(name);
          const manifest = nodeManifest(name, shape, {
            zone: zone.name,
            leaf: rack.leaf,
            clique: cliqueLabel,
          });
          nodes.push({
            name,
            zone: zone.name,
            leaf: rack.leaf,
            clique: cliqueLabel,
            gpus: shape.gpus,
            manifest,
          });
        }
      }
    }
  }
  return nodes;
}

interface Placement {
  readonly zone: string;
  readonly leaf: string;
  readonly clique: string;
}

function nodeManifest(name: string, shape: NodeShapeSpec, at: Placement): V1Node {
  // No taints: KWOK reports the node Ready and the node lifecycle controller then lifts the
  // not-ready taint that admission added at creation, so ordinary pods land without tolerations.
  return kwokNodeManifest(name, {
    labels: { [FABRIC_NODE_LABEL]: FABRIC_NODE_LABEL_VALUE },
    cpu: shape.cpu,
    memory: shape.memory,
    pods: String(shape.pods),
    zone: at.zone,
    gpus: {
      count: shape.gpus,
      product: shape.gpuProduct,
      memoryMiB: shape.gpuMemoryMiB,
      leaf: at.leaf,
      clique: at.clique,
    },
  });
}

/** A KWOK node's make-up, for the fabric and for the nodes the autoscaler stand-in adds. */
export interface KwokNodeSpec {
  /** Labels besides the ones every node gets (the standard ones win over these). */
  readonly labels: Readonly<Record<string, string>>;
  readonly taints?: readonly V1Taint[];
  readonly cpu: string;
  readonly memory: string;
  readonly pods: string;
  readonly zone: string;
  /** Left out for a CPU-only node: then no GPU resource and no GPU, leaf or clique labels. */
  readonly gpus?: {
    readonly count: number;
    readonly product: string;
    readonly memoryMiB: number;
    readonly leaf: string;
    readonly clique: string;
  };
}

/** A fake node with the labels GPU Feature Discovery and Topograph would set on a real one. */
export function kwokNodeManifest(name: string, spec: KwokNodeSpec): V1Node {
  const gpus = spec.gpus;
  const resources: Record<string, string> = {
    cpu: spec.cpu,
    memory: spec.memory,
    pods: spec.pods,
    ...(gpus !== undefined ? { [Resource.nvidiaGpu]: String(gpus.count) } : {}),
  };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      annotations: { [KWOK_NODE_ANNOTATION]: 'fake' },
      labels: {
        ...spec.labels,
        'kubernetes.io/hostname': name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        [NodeLabel.zone]: spec.zone,
        ...(gpus !== undefined
          ? {
              [NodeLabel.leaf]: gpus.leaf,
              [NodeLabel.clique]: gpus.clique,
              [NodeLabel.gpuProduct]: gpus.product,
              [NodeLabel.gpuMemory]: String(gpus.memoryMiB),
              [NodeLabel.gpuCount]: String(gpus.count),
              'nvidia.com/gpu.present': 'true',
            }
          : {}),
      },
    },
    spec: { ...(spec.taints !== undefined ? { taints: [...spec.taints] } : {}) },
    // Nodes are the one resource whose create keeps the status (protocol.md §5.2).
    status: { capacity: resources, allocatable: resources },
  };
}
