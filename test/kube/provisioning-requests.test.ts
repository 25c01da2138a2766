import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { requestsFor } from '../../src/core/autoscaling/provisioning-requests.js';
import type { PlaceholderSpec } from '../../src/core/autoscaling/placeholder-plan.js';
import {
  ApiProvisioningRequests,
  type ProvisioningRequestApis,
} from '../../src/kube/provisioning-requests.js';
import { FakeClock } from '../fakes/kube-clock.js';

const OPTIONS = {
  namespace: 'phalanx-system',
  image: 'pause',
  priorityClassName: 'phalanx-capacity-placeholder',
  provisioningClassName: 'best-effort-atomic-scale-up.autoscaling.x-k8s.io',
};
const member = (i: number): PlaceholderSpec => ({
  name: `phalanx-placeholder-u1-${i}`,
  unit: 'u1',
  kind: 'gang',
  gpus: 4,
  cpuMilli: 0,
  memoryBytes: 0,
  constraints: { nodeSelector: { pool: 'burst' } },
  colocateKey: 'nvidia.com/gpu.clique',
  demand: 'gang team/g',
  specHash: 'same',
  forPods: [`team/m${i}`],
});

function fakeApis(groups: { name: string; versions: { version: string }[] }[]) {
  const calls: string[] = [];
  const bodies: Record<string, unknown> = {};
  const apis = {
    apis: { getAPIVersions: () => Promise.resolve({ groups }) },
    core: {
      createNamespacedPodTemplate: (req: { body: { metadata: { name: string } } }) => {
        calls.push(`template ${req.body.metadata.name}`);
        bodies[req.body.metadata.name] = req.body;
        return Promise.resolve({});
      },
      deleteCollectionNamespacedPodTemplate: (req: { labelSelector: string }) => {
        calls.push(`delete templates ${req.labelSelector}`);
        return Promise.reject(new ApiException(404, 'gone', {}, {}));
      },
      patchNamespacedPod: (req: { namespace: string; name: string; body: unknown }) => {
        calls.push(`patch ${req.namespace}/${req.name}`);
        bodies['patch'] = req.body;
        return Promise.resolve({});
      },
    },
    customObjects: {
      listNamespacedCustomObject: () =>
        Promise.resolve({
          items: [
            {
              metadata: {
                name: 'r',
                uid: 'u',
                labels: { 'phalanx.dev/capacity-placeholder': 'u1' },
                annotations: { 'phalanx.dev/capacity-placeholder-spec': 'h' },
              },
              status: { conditions: [{ type: 'Provisioned', status: 'True' }] },
            },
          ],
        }),
      createNamespacedCustomObject: (req: { body: { metadata: { name: string } } }) => {
        calls.push(`request ${req.body.metadata.name}`);
        bodies['request'] = req.body;
        return Promise.reject(new ApiException(409, 'exists', {}, {}));
      },
      deleteNamespacedCustomObject: (req: { name: string; body: unknown }) => {
        calls.push(`delete request ${req.name}`);
        bodies['delete'] = req.body;
        return Promise.resolve({});
      },
    },
  } as unknown as ProvisioningRequestApis;
  return { apis, calls, bodies };
}

describe('ApiProvisioningRequests', () => {
  it('is served only when discovery lists autoscaling.x-k8s.io/v1, and asks again a minute later', async () => {
    const clock = new FakeClock();
    const absent = new ApiProvisioningRequests(
      fakeApis([{ name: 'apps', versions: [{ version: 'v1' }] }]).apis,
      OPTIONS,
      clock,
    );
    expect(await absent.served()).toBe(false);
    const old = new ApiProvisioningRequests(
      fakeApis([{ name: 'autoscaling.x-k8s.io', versions: [{ version: 'v1beta1' }] }]).apis,
      OPTIONS,
      clock,
    );
    expect(await old.served()).toBe(false);
    const present = new ApiProvisioningRequests(
      fakeApis([{ name: 'autoscaling.x-k8s.io', versions: [{ version: 'v1' }] }]).apis,
      OPTIONS,
      clock,
    );
    expect(await present.served()).toBe(true);
  });

  it('creates the templates before the request, with the pod sets and class, and reads state back', async () => {
    const { apis, calls, bodies } = fakeApis([]);
    const port = new ApiProvisioningRequests(apis, OPTIONS, new FakeClock());
    const [request] = requestsFor([member(0), member(1)]);
    await port.create(request!);
    expect(calls).toEqual([`template ${request!.podSets[0]!.templateName}`, `request ${request!.name}`]);
    expect((bodies['request'] as { spec: unknown }).spec).toEqual({
      provisioningClassName: OPTIONS.provisioningClassName,
      podSets: [{ podTemplateRef: { name: request!.podSets[0]!.templateName }, count: 2 }],
    });
    const template = bodies[request!.podSets[0]!.templateName] as {
      template: { spec: { nodeSelector: unknown } };
    };
    expect(template.template.spec.nodeSelector).toEqual({ pool: 'burst' });
    expect(await port.list()).toEqual([
      { name: 'r', uid: 'u', unit: 'u1', specHash: 'h', state: 'provisioned', deleting: false },
    ]);
  });

  it('deletes by UID with the unit templates, and marks a pod as consumer under both annotation keys', async () => {
    const { apis, calls, bodies } = fakeApis([]);
    const port = new ApiProvisioningRequests(apis, OPTIONS, new FakeClock());
    await port.delete('r', 'u', 'u1');
    expect(calls).toEqual(['delete request r', 'delete templates phalanx.dev/capacity-placeholder=u1']);
    expect(bodies['delete']).toEqual({ preconditions: { uid: 'u' } });
    await port.consume('team/m0', 'r');
    expect(bodies['patch']).toEqual({
      metadata: {
        annotations: {
          'autoscaling.x-k8s.io/consume-provisioning-request': 'r',
          'autoscaling.x-k8s.io/provisioning-class-name': OPTIONS.provisioningClassName,
          'cluster-autoscaler.kubernetes.io/consume-provisioning-request': 'r',
          'cluster-autoscaler.kubernetes.io/provisioning-class-name': OPTIONS.provisioningClassName,
        },
      },
    });
  });
});
