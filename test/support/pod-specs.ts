// Pods built from containers' GPU limits and requests, for tests of how a pod's demand is read.
import { expect } from 'vitest';
import { DemandError } from '../../src/core/errors.js';
import type { ContainerShape, PodShape } from '../../src/core/kube-shapes.js';
import { parsePodDemand, type DemandOptions } from '../../src/core/pod-demand.js';

export type Resources = Record<string, string | number>;

export function container(
  name: string,
  limits?: Resources,
  requests?: Resources,
  restartPolicy?: 'Always',
): ContainerShape {
  return {
    name,
    ...(restartPolicy ? { restartPolicy } : {}),
    resources: { ...(limits ? { limits } : {}), ...(requests ? { requests } : {}) },
  };
}

export function pod(opts: {
  annotations?: Record<string, string>;
  containers?: ContainerShape[];
  initContainers?: ContainerShape[];
  namespace?: string;
}): PodShape {
  return {
    metadata: {
      name: 'p',
      ...(opts.namespace ? { namespace: opts.namespace } : {}),
      annotations: opts.annotations ?? {},
    },
    spec: {
      containers: opts.containers ?? [container('main')],
      ...(opts.initContainers ? { initContainers: opts.initContainers } : {}),
    },
  };
}

export const gpus = (n: string | number): Resources => ({ 'nvidia.com/gpu': n });

/** The DemandError parsing `p` throws; fails the test when it throws none or another error. */
export function demandError(p: PodShape, opts?: DemandOptions): DemandError {
  try {
    parsePodDemand(p, opts);
  } catch (error) {
    expect(error).toBeInstanceOf(DemandError);
    return error as DemandError;
  }
  throw new Error('expected a DemandError');
}
