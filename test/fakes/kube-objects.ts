// Node and Pod objects shaped as the API server returns them, for src/kube tests.
import type { NodeShape, PodShape } from '../../src/core/kube-shapes.js';
import { Decision, NodeLabel, Req, Resource } from '../../src/core/names.js';

export function gpuNode(name: string, gpus: number, labels: Record<string, string> = {}): NodeShape {
  return {
    metadata: { name, uid: `node-${name}`, labels: { [NodeLabel.gpuMemory]: '81920', ...labels } },
    spec: {},
    status: {
      allocatable: { [Resource.nvidiaGpu]: String(gpus), cpu: '64' },
      capacity: { [Resource.nvidiaGpu]: String(gpus) },
    },
  };
}

export interface PodOptions {
  readonly uid?: string;
  readonly namespace?: string;
  readonly node?: string;
  /** nvidia.com/gpu per container, one entry per container. */
  readonly gpus?: readonly number[];
  readonly devices?: string;
  readonly fraction?: string;
  readonly group?: string;
  readonly phase?: string;
  readonly deleting?: boolean;
  readonly created?: string;
}

export function gpuPod(name: string, o: PodOptions = {}): PodShape {
  const annotations: Record<string, string> = {};
  if (o.devices !== undefined) annotations[Decision.gpuDevices] = o.devices;
  if (o.fraction !== undefined) annotations[Req.gpuFraction] = o.fraction;
  if (o.group !== undefined) {
    annotations[Req.podGroup] = o.group;
    annotations[Req.groupSize] = '2';
  }
  return {
    metadata: {
      name,
      namespace: o.namespace ?? 'ml',
      uid: o.uid ?? `uid-${name}`,
      annotations,
      creationTimestamp: o.created ?? '2026-01-01T00:00:00Z',
      ...(o.deleting === true ? { deletionTimestamp: '2026-01-01T01:00:00Z' } : {}),
    },
    spec: {
      ...(o.node !== undefined ? { nodeName: o.node } : {}),
      containers: (o.gpus ?? [0]).map((n, i) => ({
        name: `c${i}`,
        resources: n > 0 ? { limits: { [Resource.nvidiaGpu]: String(n) } } : {},
      })),
    },
    status: { phase: o.phase ?? (o.node !== undefined ? 'Running' : 'Pending') },
  };
}
