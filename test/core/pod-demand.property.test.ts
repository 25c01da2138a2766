import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePodDemand } from '../../src/core/pod-demand.js';
import { container, gpus, pod } from '../support/pod-specs.js';

describe('whole GPUs from nvidia.com/gpu', () => {
  it('counts by max(sum of app containers, largest init container) for random pods', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 8 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.integer({ min: 0, max: 8 }), { maxLength: 4 }),
        (app, init) => {
          let sum = 0;
          for (const n of app) sum += n;
          let peak = 0;
          for (const n of init) peak = n > peak ? n : peak;
          const expected = sum > peak ? sum : peak;
          const p = pod({
            containers: app.map((n, i) => container(`c${i}`, gpus(n))),
            initContainers: init.map((n, i) => container(`i${i}`, gpus(n))),
          });
          expect(parsePodDemand(p).gpu).toEqual(
            expected === 0 ? { kind: 'none' } : { kind: 'whole', count: expected },
          );
        },
      ),
    );
  });
});
