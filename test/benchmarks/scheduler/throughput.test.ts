import { describe, expect, it } from 'vitest';
import { netOfIdle, throughputSamples } from '../../../benchmarks/scheduler/throughput.js';

describe('throughputSamples', () => {
  it('keeps the intervals from the first binding to the last, as pods per second', () => {
    const counts = [
      { at: 0, bound: 0 },
      { at: 1000, bound: 0 }, // idle start-up: dropped
      { at: 2000, bound: 10 },
      { at: 3000, bound: 30 },
      { at: 3500, bound: 40 }, // half-second interval: 20 pods/s
      { at: 4500, bound: 40 }, // nothing more bound: dropped
    ];
    expect(throughputSamples(counts)).toEqual([10, 20, 20]);
  });

  it('keeps idle seconds between bindings', () => {
    const counts = [
      { at: 0, bound: 0 },
      { at: 1000, bound: 5 },
      { at: 2000, bound: 5 },
      { at: 3000, bound: 8 },
    ];
    expect(throughputSamples(counts)).toEqual([5, 0, 3]);
  });

  it('is empty when nothing was bound', () => {
    expect(
      throughputSamples([
        { at: 0, bound: 0 },
        { at: 1000, bound: 0 },
      ]),
    ).toEqual([]);
  });
});

describe('netOfIdle', () => {
  it("subtracts each process's idle CPU over the run, spread over the bound pods", () => {
    const run = { cpuMsPerPod: { apiserver: 6, etcd: 2, phalanx: 4 }, seconds: 100, bound: 2000 };
    // apiserver idles at 20 ms/s: 2000 ms over 2000 pods is 1 ms each; etcd at 8 ms/s: 0.4 ms.
    expect(netOfIdle(run, { apiserver: 20, etcd: 8 })).toEqual({
      netCpuMsPerPod: { apiserver: 5, etcd: 1.6, phalanx: 4 },
    });
  });

  it('gives nothing without an idle sample or without bound pods', () => {
    const run = { cpuMsPerPod: { apiserver: 6 }, seconds: 10, bound: 0 };
    expect(netOfIdle(run, { apiserver: 1 })).toEqual({});
    expect(netOfIdle({ ...run, bound: 5 }, undefined)).toEqual({});
  });
});
