import { describe, expect, it } from 'vitest';
import { PlanAheadOnce } from '../../../src/app/gang/plan-ahead-once.js';
import { DemandError, Rule } from '../../../src/core/errors.js';
import type { PodShape } from '../../../src/core/kube-shapes.js';
import { parsePodDemand } from '../../../src/core/pod-demand.js';
import { gangPod } from './gang-harness.js';

const groupOf = (p: PodShape): string => `ml/${p.metadata?.annotations?.['phalanx.dev/pod-group']}`;
/** A gang member waiting for Phalanx's scheduler. */
const waiting = (name: string, group: string): PodShape => {
  const pod = gangPod(name, group, 2, { gpus: 4 });
  return { ...pod, spec: { ...pod.spec, schedulerName: 'phalanx-scheduler' } };
};

function setup(pods: PodShape[], opts: { leading?: boolean; unreadable?: string } = {}) {
  const asked: string[][] = [];
  const logged: number[] = [];
  let leading = opts.leading ?? true;
  const once = new PlanAheadOnce({
    members: {
      gangKeys: () => new Set(pods.map(groupOf)),
      members: (key: string) => pods.filter((p) => groupOf(p) === key),
    },
    schedulerName: 'phalanx-scheduler',
    gangs: {
      planAhead: (pending) => {
        const names = [...pending].map(({ pod }) => pod.metadata?.name ?? '');
        asked.push(names);
        return names.length;
      },
    },
    demandOf: (pod) => {
      if (pod.metadata?.name === opts.unreadable)
        throw new DemandError('phalanx.dev/gpu-fraction', Rule.outOfRange, 'out of range');
      return parsePodDemand(pod);
    },
    leading: () => leading,
    onPlanned: (n) => logged.push(n),
  });
  return { once, asked, logged, setLeading: (v: boolean) => (leading = v) };
}

describe('PlanAheadOnce', () => {
  const pods = [waiting('a-0', 'a'), waiting('b-0', 'b')];

  it('plans once per term, only with a current view and the lease held', () => {
    const { once, asked, logged, setLeading } = setup(pods, { leading: false });
    once.trigger(true); // not leading
    setLeading(true);
    once.trigger(false); // view behind
    expect(asked).toEqual([]);
    once.trigger(true);
    once.trigger(true); // done this term
    expect(asked).toEqual([['a-0', 'b-0']]);
    expect(logged).toEqual([2]);
    once.reset(); // a new term plans again
    once.trigger(true);
    expect(asked).toHaveLength(2);
  });

  it('leaves out a member whose demand cannot be read (its own filter explains it)', () => {
    const { once, asked } = setup(pods, { unreadable: 'a-0' });
    once.trigger(true);
    expect(asked).toEqual([['b-0']]);
  });
});
