import { describe, expect, it } from 'vitest';
import { BindError } from '../../src/app/ports.js';
import { PodBinder } from '../../src/kube/pod-binder.js';
import { CachedPodReader } from '../../src/kube/pod-reader.js';
import { recordingLogger } from '../fakes/kube-logger.js';
import { FakePodApi } from '../fakes/kube-pod-api.js';

const ref = { namespace: 'ml', name: 'p', uid: 'u1' };
const decision = { 'phalanx.dev/gpu-devices': '0,1' };

function setup(timeoutMs = 50) {
  const api = new FakePodApi();
  api.addPod('ml', 'p', 'u1');
  const binder = new PodBinder({ api, logger: recordingLogger(), requestTimeoutMs: timeoutMs });
  return { api, binder };
}

async function bindError(p: Promise<unknown>): Promise<BindError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BindError);
  return err as BindError;
}

describe('PodBinder.annotateAndBind', () => {
  it("binds with the UID and the decision as the Binding's annotations, in one write", async () => {
    const { api, binder } = setup();
    await binder.annotateAndBind(ref, 'n1', decision);
    const pod = api.pods.get('ml/p');
    expect(pod?.metadata?.annotations).toEqual(decision);
    expect(pod?.spec?.nodeName).toBe('n1');
    expect(api.calls.map((c) => c.op)).toEqual(['bind']);
    expect(api.calls[0]?.body).toMatchObject({
      metadata: { name: 'p', namespace: 'ml', uid: 'u1', annotations: decision },
      target: { apiVersion: 'v1', kind: 'Node', name: 'n1' },
    });
  });

  it('reports conflict when the pod was recreated under the same name', async () => {
    const { api, binder } = setup();
    api.addPod('ml', 'p', 'u2');
    const err = await bindError(binder.annotateAndBind(ref, 'n1', decision));
    expect(err.kind).toBe('conflict');
    expect(api.pods.get('ml/p')?.metadata?.annotations).toEqual({});
  });

  it('reports conflict when the pod is already bound', async () => {
    const { api, binder } = setup();
    api.addPod('ml', 'p', 'u1', { nodeName: 'other' });
    const err = await bindError(binder.annotateAndBind(ref, 'n1', decision));
    expect(err.kind).toBe('conflict');
    expect(err.message).toContain('already assigned');
  });

  it('reports gone when the pod was deleted', async () => {
    const { api, binder } = setup();
    api.pods.clear();
    expect((await bindError(binder.annotateAndBind(ref, 'n1', decision))).kind).toBe('gone');
  });

  it('treats a timed-out bind that did happen as success (re-reads the pod)', async () => {
    const { api, binder } = setup();
    api.unanswered.add('bind');
    await binder.annotateAndBind(ref, 'n1', decision);
    expect(api.calls.map((c) => c.op)).toEqual(['bind', 'readPod']);
  });

  it('reports a timed-out bind as failed when the pod went to the node without this decision', async () => {
    const { api, binder } = setup(30);
    api.createNamespacedPodBinding = () => {
      api.pods.get('ml/p')!.spec = { containers: [], nodeName: 'n1' };
      return new Promise(() => undefined);
    };
    const err = await bindError(binder.annotateAndBind(ref, 'n1', decision));
    expect(err.kind).toBe('other');
  });

  it('reports a timed-out bind that did not happen as unbound (safe to retry or release)', async () => {
    const { api, binder } = setup(30);
    // The request is lost before it reaches the server: a re-read shows the pod still unbound.
    api.createNamespacedPodBinding = () => new Promise(() => undefined);
    const err = await bindError(binder.annotateAndBind(ref, 'n1', decision));
    expect(err.kind).toBe('unbound');
    expect(err.message).toMatch(/did not answer within 30 ms/);
    expect(api.calls.map((c) => c.op)).toEqual(['readPod']);
  });

  it('reports a 5xx whose read-back shows the pod unbound as unbound, with the status', async () => {
    const { api, binder } = setup();
    api.failWith.set('bind', 503);
    const err = await bindError(binder.annotateAndBind(ref, 'n1', decision));
    expect(err.kind).toBe('unbound');
    expect(err.message).toContain('HTTP 503');
    expect(api.calls.map((c) => c.op)).toEqual(['bind', 'readPod']);
  });

  it('reports a timed-out bind whose read-back fails as unknown: it may have landed', async () => {
    const { api, binder } = setup(30);
    api.unanswered.add('bind');
    api.failWith.set('readPod', 503);
    const err = await bindError(binder.annotateAndBind(ref, 'n1', decision));
    expect(err.kind).toBe('unknown');
    expect(err.message).toContain('reading the pod back failed');
  });

  it('maps a refusal (4xx) to kind other without reading back', async () => {
    const { api, binder } = setup();
    api.failWith.set('bind', 403);
    const err = await bindError(binder.annotateAndBind(ref, 'n1', decision));
    expect(err.kind).toBe('other');
    expect(err.message).toContain('HTTP 403');
    expect(api.calls.map((c) => c.op)).toEqual(['bind']);
  });

  it('treats a 409 from a retry whose earlier attempt landed as success', async () => {
    const { api, binder } = setup();
    api.unanswered.add('bind');
    await binder.annotateAndBind(ref, 'n1', decision).catch(() => undefined);
    api.unanswered.clear();
    await binder.annotateAndBind(ref, 'n1', decision);
    expect(api.pods.get('ml/p')?.spec?.nodeName).toBe('n1');
  });
});

describe('PodBinder.removeSchedulingGate', () => {
  it('removes only the named gate with a JSON patch guarded by test ops', async () => {
    const { api, binder } = setup();
    api.addPod('ml', 'p', 'u1', { schedulingGates: [{ name: 'other/gate' }, { name: 'phalanx.dev/gang' }] });
    await binder.removeSchedulingGate(ref, 'phalanx.dev/gang');
    expect(api.pods.get('ml/p')?.spec?.schedulingGates).toEqual([{ name: 'other/gate' }]);
    const patch = api.calls.find((c) => c.op === 'patchPod');
    expect(patch?.contentType).toBe('application/json-patch+json');
    expect(patch?.body).toEqual([
      { op: 'test', path: '/metadata/uid', value: 'u1' },
      { op: 'test', path: '/spec/schedulingGates/1/name', value: 'phalanx.dev/gang' },
      { op: 'remove', path: '/spec/schedulingGates/1' },
    ]);
  });

  it('is a no-op when the gate is absent', async () => {
    const { api, binder } = setup();
    await binder.removeSchedulingGate(ref, 'phalanx.dev/gang');
    expect(api.calls.map((c) => c.op)).toEqual(['readPod']);
  });

  it('retries when the gate list moved between read and patch', async () => {
    const { api, binder } = setup();
    api.addPod('ml', 'p', 'u1', { schedulingGates: [{ name: 'a' }, { name: 'phalanx.dev/gang' }] });
    const original = api.patchNamespacedPod;
    let first = true;
    api.patchNamespacedPod = async (p, o) => {
      if (first) {
        first = false;
        api.pods.get('ml/p')!.spec!.schedulingGates = [{ name: 'phalanx.dev/gang' }];
      }
      return original(p, o);
    };
    await binder.removeSchedulingGate(ref, 'phalanx.dev/gang');
    expect(api.pods.get('ml/p')?.spec?.schedulingGates).toEqual([]);
    expect(api.calls.filter((c) => c.op === 'patchPod')).toHaveLength(2);
  });

  it('reports gone for a pod recreated with another UID', async () => {
    const { api, binder } = setup();
    api.addPod('ml', 'p', 'u9', { schedulingGates: [{ name: 'phalanx.dev/gang' }] });
    expect((await bindError(binder.removeSchedulingGate(ref, 'phalanx.dev/gang'))).kind).toBe('gone');
    expect(api.pods.get('ml/p')?.spec?.schedulingGates).toHaveLength(1);
  });
});

describe('CachedPodReader', () => {
  it('answers from the cache, falls back to the API, and checks the UID', async () => {
    const api = new FakePodApi();
    api.addPod('ml', 'fresh', 'u-fresh');
    const cached = { metadata: { name: 'c', namespace: 'ml', uid: 'u-c' } };
    const reader = new CachedPodReader(
      { get: (ns, n) => (ns === 'ml' && n === 'c' ? cached : undefined) },
      api,
    );
    expect(await reader.getPod('ml', 'c')).toBe(cached);
    expect(await reader.getPod('ml', 'c', 'u-c')).toBe(cached);
    expect(api.calls).toEqual([]);
    expect((await reader.getPod('ml', 'fresh', 'u-fresh'))?.metadata?.uid).toBe('u-fresh');
    expect(await reader.getPod('ml', 'fresh', 'u-old')).toBeUndefined();
    expect(await reader.getPod('ml', 'missing')).toBeUndefined();
  });
});
