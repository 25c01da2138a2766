// Small Pod and Node builders for the eligibility tests.
import type {
  ContainerShape,
  NodeConditionShape,
  NodeSelectorTermShape,
  NodeShape,
  PodShape,
  TaintShape,
  TolerationShape,
} from '../../../src/core/kube-shapes.js';

type Quantities = Record<string, string | number>;

export function container(
  requests?: Quantities,
  limits?: Quantities,
  restartPolicy?: 'Always',
): ContainerShape {
  return {
    name: 'c',
    ...(restartPolicy ? { restartPolicy } : {}),
    resources: { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) },
  };
}

export interface PodOptions {
  containers?: ContainerShape[];
  initContainers?: ContainerShape[];
  nodeSelector?: Record<string, string>;
  terms?: NodeSelectorTermShape[];
  tolerations?: TolerationShape[];
  overhead?: Quantities;
}

export function pod(opts: PodOptions = {}): PodShape {
  return {
    metadata: { name: 'p', namespace: 'ns' },
    spec: {
      containers: opts.containers ?? [container({ cpu: '1', memory: '1Gi' })],
      ...(opts.initContainers ? { initContainers: opts.initContainers } : {}),
      ...(opts.nodeSelector ? { nodeSelector: opts.nodeSelector } : {}),
      ...(opts.terms
        ? {
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: opts.terms },
              },
            },
          }
        : {}),
      ...(opts.tolerations ? { tolerations: opts.tolerations } : {}),
      ...(opts.overhead ? { overhead: opts.overhead } : {}),
    },
  };
}

export interface NodeOptions {
  name?: string;
  labels?: Record<string, string>;
  taints?: TaintShape[];
  unschedulable?: boolean;
  ready?: 'True' | 'False' | 'Unknown';
  conditions?: NodeConditionShape[];
  allocatable?: Quantities;
}

export const DEFAULT_ALLOCATABLE: Quantities = {
  cpu: '8',
  memory: '32Gi',
  'ephemeral-storage': '100Gi',
  pods: '110',
  'nvidia.com/gpu': '8',
};

export function node(opts: NodeOptions = {}): NodeShape {
  const conditions = opts.conditions ?? (opts.ready ? [{ type: 'Ready', status: opts.ready }] : []);
  return {
    metadata: { name: opts.name ?? 'n1', labels: opts.labels ?? {} },
    spec: {
      ...(opts.unschedulable !== undefined ? { unschedulable: opts.unschedulable } : {}),
      ...(opts.taints ? { taints: opts.taints } : {}),
    },
    status: { allocatable: opts.allocatable ?? DEFAULT_ALLOCATABLE, conditions },
  };
}

export const GI = 1024 ** 3;
export const MI = 1024 ** 2;
