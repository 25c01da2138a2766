import { describe, expect, it } from 'vitest';
import { KubeEventRecorder } from '../../src/kube/event-recorder.js';
import { FakeClock } from '../fakes/kube-clock.js';
import { recordingLogger } from '../fakes/kube-logger.js';
import { FakePodApi } from '../fakes/kube-pod-api.js';

const pod = { namespace: 'ml', name: 'p', uid: 'u1' };
const settle = () => new Promise((resolve) => setImmediate(resolve));

function setup(extra: { maxInFlight?: number } = {}) {
  const api = new FakePodApi();
  const clock = new FakeClock();
  const logger = recordingLogger();
  const recorder = new KubeEventRecorder({
    api,
    clock,
    logger,
    instance: 'phalanx-0',
    minWriteIntervalMs: 5_000,
    ...extra,
  });
  return { api, clock, logger, recorder };
}

describe('KubeEventRecorder', () => {
  it('writes a core/v1 Event on the pod from component phalanx', async () => {
    const t = setup();
    t.recorder.podEvent(pod, 'Warning', 'GangIncomplete', '1 of 4 members present');
    await settle();
    const events = [...t.api.events.values()];
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'Warning',
      reason: 'GangIncomplete',
      message: '1 of 4 members present',
      count: 1,
      involvedObject: { kind: 'Pod', name: 'p', namespace: 'ml', uid: 'u1' },
      source: { component: 'phalanx' },
      reportingComponent: 'phalanx',
      reportingInstance: 'phalanx-0',
    });
    expect(events[0]?.metadata.name).toMatch(/^p\.[0-9a-f]+$/);
  });

  it('folds repeats into a count bump at most once per interval', async () => {
    const t = setup();
    t.recorder.podEvent(pod, 'Warning', 'NoFit', 'no node has 2 free GPUs');
    await settle();
    t.recorder.podEvent(pod, 'Warning', 'NoFit', 'no node has 2 free GPUs');
    t.recorder.podEvent(pod, 'Warning', 'NoFit', 'no node has 2 free GPUs');
    await settle();
    expect(t.api.calls.map((c) => c.op)).toEqual(['createEvent']);
    t.clock.advance(5_000);
    t.recorder.podEvent(pod, 'Warning', 'NoFit', 'no node has 2 free GPUs');
    await settle();
    expect(t.api.calls.map((c) => c.op)).toEqual(['createEvent', 'patchEvent']);
    expect(t.api.calls[1]?.contentType).toBe('application/merge-patch+json');
    expect([...t.api.events.values()][0]?.count).toBe(4);
    t.recorder.podEvent(pod, 'Normal', 'Bound', 'bound to n1');
    await settle();
    expect(t.api.events.size).toBe(2);
  });

  it('never throws: API failures are logged', async () => {
    const t = setup();
    t.api.failWith.set('createEvent', 403);
    expect(() => t.recorder.podEvent(pod, 'Normal', 'Bound', 'bound to n1')).not.toThrow();
    await settle();
    expect(
      t.logger.lines.some((l) => l.level === 'warn' && String(l.fields['err']).includes('HTTP 403')),
    ).toBe(true);
  });

  it('drops events beyond the in-flight limit instead of queueing without bound', async () => {
    const t = setup({ maxInFlight: 1 });
    t.api.unanswered.add('createEvent');
    t.recorder.podEvent(pod, 'Normal', 'A', 'a');
    t.recorder.podEvent(pod, 'Normal', 'B', 'b');
    await settle();
    expect(t.api.calls).toHaveLength(1);
    expect(t.recorder.dropped()).toBe(1);
  });
});
