// Builders shared by the SchedulingService tests: an H100 node, a pending GPU pod, and a service
// over a ClusterState with the in-memory API and a fixed clock.
import { BindingWriter } from '../../src/app/binding/binding-writer.js';
import {
  SchedulingService,
  type SchedulingServiceDeps,
} from '../../src/app/scheduling/scheduling-service.js';
import type { ClusterState } from '../../src/core/cluster-state.js';
import { nodeInventory } from '../../src/core/inventory.js';
import type { PodShape } from '../../src/core/kube-shapes.js';
import { policyByName } from '../../src/core/policies/registry.js';
import type { FakeApi } from '../fakes/app-ports.js';
import { FakeClock } from '../fakes/kube-clock.js';

export function h100Node(name: string, gpus: number, labels: Record<string, string> = {}) {
  return nodeInventory({
    metadata: {
      name,
      labels: { 'nvidia.com/gpu.memory': '81920', 'nvidia.com/gpu.product': 'H100', ...labels },
    },
    status: { allocatable: { 'nvidia.com/gpu': String(gpus) } },
  });
}

export function pendingGpuPod(
  name: string,
  opts: { fraction?: string; gpus?: number; annotations?: Record<string, string> } = {},
): PodShape {
  const annotations: Record<string, string> = { ...(opts.annotations ?? {}) };
  if (opts.fraction) annotations['phalanx.dev/gpu-fraction'] = opts.fraction;
  const limits = opts.gpus ? { 'nvidia.com/gpu': String(opts.gpus) } : {};
  return {
    metadata: { name, namespace: 'ml', uid: `uid-${name}`, annotations },
    spec: { containers: [{ name: 'main', resources: { limits } }] },
    status: { phase: 'Pending' },
  };
}

/** A binpack SchedulingService with no topology levels, serving, over `state` and `api`. */
export function binpackService(
  state: ClusterState,
  api: FakeApi,
  extra: Partial<SchedulingServiceDeps> = {},
): SchedulingService {
  return new SchedulingService({
    state,
    policyFor: () => policyByName('binpack'),
    pods: api,
    binding: new BindingWriter({ state, binder: api, pods: api }),
    clock: new FakeClock(1_000_000),
    reservationTtlMs: 30_000,
    levels: [],
    notServingReason: () => undefined,
    ...extra,
  });
}
