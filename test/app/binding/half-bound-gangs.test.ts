// The half-bound sweep: a gang with every member created, some bound and the rest pending past the
// grace, with no plan in progress, is unwound; gangs still missing members or being planned are not.
import { describe, expect, it } from 'vitest';
import { HalfBoundGangs } from '../../../src/app/binding/half-bound-gangs.js';
import type { PodRef } from '../../../src/app/ports.js';
import type { PodShape } from '../../../src/core/kube-shapes.js';
import { DEFAULT_TOPOLOGY_LEVELS } from '../../../src/core/names.js';
import { FakeClock } from '../../fakes/kube-clock.js';
import { gangPod } from '../gang/gang-harness.js';

function setup(pods: PodShape[], planned: string[] = []) {
  const clock = new FakeClock();
  const evicted: string[] = [];
  const sweep = new HalfBoundGangs({
    members: { members: (key) => (key === 'ml/g' ? pods : []) },
    clock,
    levels: DEFAULT_TOPOLOGY_LEVELS,
    planned: () => new Set(planned),
    graceMs: 60_000,
    unwind: {
      sleep: () => Promise.resolve(),
      evictor: {
        evict: (pod: PodRef) => {
          evicted.push(pod.name);
          return Promise.resolve();
        },
      },
    },
  });
  for (const pod of pods) sweep.podChanged(pod);
  return { clock, evicted, sweep };
}

const bound = (pod: PodShape): PodShape => ({ ...pod, spec: { ...pod.spec, nodeName: 'n1' } });

describe('HalfBoundGangs', () => {
  it('unwinds a gang half-bound past the grace, and only then', async () => {
    const pods = [bound(gangPod('a', 'g', 2, { gpus: 1 })), gangPod('b', 'g', 2, { gpus: 1 })];
    const t = setup(pods);
    t.sweep.sweep();
    t.clock.advance(59_999);
    t.sweep.sweep();
    expect(t.evicted).toEqual([]);
    t.clock.advance(1);
    t.sweep.sweep();
    await Promise.resolve();
    expect(t.evicted).toEqual(['a']);
  });

  it('leaves alone a gang whose other members do not exist yet, or that has a plan in progress', () => {
    const missing = setup([bound(gangPod('a', 'g', 2, { gpus: 1 }))]);
    const planned = setup(
      [bound(gangPod('a', 'g', 2, { gpus: 1 })), gangPod('b', 'g', 2, { gpus: 1 })],
      ['ml/g'],
    );
    for (const t of [missing, planned]) {
      t.sweep.sweep();
      t.clock.advance(600_000);
      t.sweep.sweep();
      expect(t.evicted).toEqual([]);
    }
  });

  it('keeps watching a gang that was bound whole and later lost a member it cannot get back', async () => {
    const pods = [bound(gangPod('a', 'g', 2, { gpus: 1 })), bound(gangPod('b', 'g', 2, { gpus: 1 }))];
    const t = setup(pods);
    t.sweep.sweep();
    t.clock.advance(600_000);
    t.sweep.sweep();
    expect(t.evicted).toEqual([]);
    // b's node is gone: its replacement is pending, and no event comes from a, still bound.
    pods[1] = gangPod('b2', 'g', 2, { gpus: 1 });
    t.sweep.sweep();
    t.clock.advance(60_000);
    t.sweep.sweep();
    await Promise.resolve();
    expect(t.evicted).toEqual(['a']);
  });
});
