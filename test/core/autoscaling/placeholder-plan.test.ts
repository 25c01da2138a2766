import { describe, expect, it } from 'vitest';
import {
  planPlaceholders,
  shareMilli,
  smallestDeviceMemory,
} from '../../../src/core/autoscaling/placeholder-plan.js';
import { waitingDemand, type CandidatePod } from '../../../src/core/autoscaling/waiting-demand.js';
import type { NodeShape } from '../../../src/core/kube-shapes.js';
import { pod, SCHEDULER, T0 } from './fixtures.js';

const CLIQUE = 'nvidia.com/gpu.clique';
const LEVELS = [CLIQUE, 'network.topology.nvidia.com/leaf', 'topology.kubernetes.io/zone'];
const NOW = T0 + 60_000;
const LONG_AGO = T0;

function plan(
  pods: CandidatePod[],
  opts: { max?: number; memory?: number; nodeLabels?: Record<string, Record<string, string>> } = {},
) {
  const demand = waitingDemand(pods, {
    now: NOW,
    pendingForMs: 10_000,
    schedulerName: SCHEDULER,
    levels: LEVELS,
    nodeLabels: (n) => opts.nodeLabels?.[n],
  });
  return {
    demand,
    ...planPlaceholders(demand.units, {
      maxPlaceholders: opts.max ?? 64,
      deviceMemoryBytes: () => opts.memory,
    }),
  };
}

describe('waiting shares become whole-GPU placeholders', () => {
  it('sums shares with the same constraints: two halves are one GPU, a third half another', () => {
    const two = plan([
      pod('a', { fraction: '0.5', unschedulableAt: LONG_AGO }),
      pod('b', { fraction: '0.5', unschedulableAt: LONG_AGO }),
    ]);
    expect(two.specs.map((s) => s.gpus)).toEqual([1]);
    expect(two.gpus.shares).toBe(1);
    const three = plan(['a', 'b', 'c'].map((n) => pod(n, { fraction: '0.5', unschedulableAt: LONG_AGO })));
    expect(three.specs.map((s) => s.gpus)).toEqual([1, 1]);
  });

  it('never splits a share across devices: three 0.6 shares need three GPUs', () => {
    const p = plan(['a', 'b', 'c'].map((n) => pod(n, { fraction: '0.6', unschedulableAt: LONG_AGO })));
    expect(p.gpus.shares).toBe(3);
  });

  it('keeps pods with different node constraints apart and copies the constraints', () => {
    const tol = [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }];
    const p = plan([
      pod('a', { fraction: '0.5', unschedulableAt: LONG_AGO, nodeSelector: { pool: 'a' } }),
      pod('b', { fraction: '0.5', unschedulableAt: LONG_AGO, nodeSelector: { pool: 'b' }, tolerations: tol }),
    ]);
    expect(p.specs).toHaveLength(2);
    const selectors = p.specs.map((s) => s.constraints.nodeSelector?.['pool']).sort();
    expect(selectors).toEqual(['a', 'b']);
    expect(
      p.specs.find((s) => s.constraints.nodeSelector?.['pool'] === 'b')?.constraints.tolerations,
    ).toEqual(tol);
    expect(p.specs.every((s) => s.colocateKey === undefined)).toBe(true);
  });

  it('sizes a memory-bound share by its memory on the smallest allowed device, or a whole GPU when unknown', () => {
    const mib = 1024 * 1024;
    const small = pod('a', { fraction: '0.1', memory: '60000', unschedulableAt: LONG_AGO });
    const other = pod('b', { fraction: '0.5', unschedulableAt: LONG_AGO });
    // 60000 of 80000 MiB is 750 milli: with a 500-milli share it needs two GPUs, not one.
    expect(plan([small, other], { memory: 80_000 * mib }).gpus.shares).toBe(2);
    expect(
      plan([small, pod('c', { fraction: '0.2', unschedulableAt: LONG_AGO })], { memory: 80_000 * mib }).gpus
        .shares,
    ).toBe(1);
    expect(plan([small, pod('c', { fraction: '0.2', unschedulableAt: LONG_AGO })]).gpus.shares).toBe(2);
    const [first] = plan([small]).demand.units[0]?.pods ?? [];
    expect(first && shareMilli(first, 160_000 * mib)).toBe(375);
  });

  it('counts only pods that wait for room: not gated, not too recent, not another scheduler, not invalid', () => {
    const p = plan([
      pod('gated', { fraction: '0.5', unschedulableAt: LONG_AGO, gates: ['kueue.x-k8s.io/admission'] }),
      pod('recent', { fraction: '0.5', unschedulableAt: NOW - 1_000 }),
      pod('never-tried', { fraction: '0.5' }),
      pod('other', { fraction: '0.5', unschedulableAt: LONG_AGO, schedulerName: 'default-scheduler' }),
      pod('invalid', { fraction: '1.5', unschedulableAt: LONG_AGO }),
      pod('bound', { fraction: '0.5', node: 'n1' }),
      pod('whole', { gpus: 2, unschedulableAt: LONG_AGO }),
    ]);
    expect(p.specs).toEqual([]);
    expect(Object.fromEntries(p.demand.skipped)).toEqual({
      gated: 1,
      'not-unschedulable-long-enough': 2,
      invalid: 1,
    });
  });
});

describe('a waiting gang becomes placeholders that land together', () => {
  const gang = (opts: { node?: string } = {}) => [
    pod('m0', {
      gpus: 4,
      group: 'g',
      size: 3,
      required: CLIQUE,
      unschedulableAt: LONG_AGO,
      cpu: '2',
      ...(opts.node ? { node: opts.node } : {}),
    }),
    pod('m1', { gpus: 4, group: 'g', size: 3, required: CLIQUE, unschedulableAt: LONG_AGO, cpu: '2' }),
    pod('m2', { gpus: 8, group: 'g', size: 3, required: CLIQUE, unschedulableAt: LONG_AGO }),
  ];

  it('one placeholder per member, sized like it, with pod affinity on the required level', () => {
    const p = plan(gang());
    expect(p.specs.map((s) => s.gpus).sort()).toEqual([4, 4, 8]);
    expect(new Set(p.specs.map((s) => s.unit)).size).toBe(1);
    expect(p.specs.every((s) => s.colocateKey === CLIQUE && s.kind === 'gang')).toBe(true);
    expect(p.specs.filter((s) => s.cpuMilli === 2000)).toHaveLength(2);
    expect(p.gpus.gang).toBe(16);
    expect(new Set(p.specs.map((s) => s.name)).size).toBe(3);
  });

  it('without a required level, whole-GPU members autoscalers see need no placeholder; refused ones do', () => {
    const refused = plan([
      pod('w0', { gpus: 4, group: 'h', size: 2, unschedulableAt: LONG_AGO, reason: 'SchedulerError' }),
      pod('w1', { gpus: 4, group: 'h', size: 2, unschedulableAt: LONG_AGO, reason: 'SchedulerError' }),
    ]);
    expect(refused.specs.map((s) => s.gpus)).toEqual([4, 4]);
    const loose = [
      pod('w0', { gpus: 4, group: 'h', size: 3, unschedulableAt: LONG_AGO }),
      pod('f0', { fraction: '0.5', group: 'h', size: 3, unschedulableAt: LONG_AGO }),
      pod('f1', { fraction: '0.5', group: 'h', size: 3, unschedulableAt: LONG_AGO }),
    ];
    const p = plan(loose);
    expect(p.specs.map((s) => [s.kind, s.gpus, s.colocateKey])).toEqual([['gang', 1, undefined]]);
  });

  it('pins the domain its bound members chose', () => {
    const p = plan(gang({ node: 'n1' }), { nodeLabels: { n1: { [CLIQUE]: 'dom.1' } } });
    expect(p.specs.map((s) => s.gpus).sort()).toEqual([4, 8]);
    expect(p.specs.every((s) => s.constraints.nodeSelector?.[CLIQUE] === 'dom.1')).toBe(true);
  });

  it('waits for the whole gang: an incomplete or gated gang gets nothing', () => {
    expect(plan(gang().slice(0, 2)).specs).toEqual([]);
    const gated = gang().map((m, i) =>
      i === 0 ? { ...m, spec: { ...m.spec, schedulingGates: [{ name: 'phalanx.dev/gang' }] } } : m,
    );
    expect(plan(gated).specs).toEqual([]);
  });

  it('a unit gets all of its placeholders or none under the bound, oldest unit first', () => {
    const shares = [pod('s', { fraction: '0.5', unschedulableAt: LONG_AGO + 1 })];
    const p = plan([...gang(), ...shares], { max: 2 });
    expect(p.specs.map((s) => s.kind)).toEqual(['shares']);
    expect(p.unitsOverLimit).toBe(1);
  });

  it('keeps a gang out of the domains it got stuck in, within any node affinity it has', () => {
    const demand = plan(gang()).demand;
    const avoided = planPlaceholders(demand.units, {
      maxPlaceholders: 64,
      deviceMemoryBytes: () => undefined,
      avoidDomains: () => ['dom.2', 'dom.1'],
    });
    for (const s of avoided.specs) {
      expect(s.constraints.nodeAffinityTerms).toEqual([
        { matchExpressions: [{ key: CLIQUE, operator: 'NotIn', values: ['dom.1', 'dom.2'] }] },
      ]);
    }
    expect(avoided.specs.map((s) => s.specHash)).not.toEqual(plan(gang()).specs.map((s) => s.specHash));
  });

  it('names and hashes are stable, whatever order the pods come in', () => {
    const a = plan(gang())
      .specs.map((s) => `${s.name}:${s.specHash}`)
      .sort();
    const b = plan([...gang()].reverse())
      .specs.map((s) => `${s.name}:${s.specHash}`)
      .sort();
    expect(a).toEqual(b);
  });
});

describe('smallestDeviceMemory', () => {
  const node = (name: string, mib: string, labels: Record<string, string>, taint?: string): NodeShape => ({
    metadata: { name, labels: { 'nvidia.com/gpu.memory': mib, ...labels } },
    spec: taint ? { taints: [{ key: taint, effect: 'NoSchedule' }] } : {},
  });
  const nodes = [
    node('a', '40960', { pool: 'a' }),
    node('b', '81920', { pool: 'b' }),
    node('t', '20480', { pool: 'b' }, 'dedicated'),
  ];
  it('reads only nodes the constraints allow', () => {
    expect(smallestDeviceMemory({ nodeSelector: { pool: 'b' } }, nodes)).toBe(81920 * 1024 * 1024);
    expect(smallestDeviceMemory({}, nodes)).toBe(40960 * 1024 * 1024);
    expect(smallestDeviceMemory({ tolerations: [{ operator: 'Exists' }] }, nodes)).toBe(20480 * 1024 * 1024);
    expect(smallestDeviceMemory({ nodeSelector: { pool: 'none' } }, nodes)).toBeUndefined();
  });
});
