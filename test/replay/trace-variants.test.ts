import { describe, expect, it } from 'vitest';
import { seededRng } from '../../src/replay/seeded-rng.js';
import type { TracePod } from '../../src/replay/trace-csv.js';
import { traceMix } from '../../src/replay/trace-mix.js';
import {
  generateVariant,
  parseVariantName,
  specVocabulary,
  variantName,
  type SpecChoice,
  type VariantSpec,
} from '../../src/replay/trace-variants.js';

const pod = (name: string, numGpu: number, gpuMilli: number, gpuSpec: string[] = []): TracePod => ({
  name,
  cpuMilli: 2000 + numGpu * 1000,
  memoryMib: 1024,
  numGpu,
  gpuMilli,
  gpuSpec,
});

/** A small trace with every kind of pod: CPU-only, shares of several sizes, whole and multi-GPU. */
function baseTrace(): TracePod[] {
  const pods: TracePod[] = [];
  for (let i = 0; i < 40; i++) pods.push(pod(`cpu${i}`, 0, 0));
  const shares = [230, 320, 470, 650, 810];
  for (let i = 0; i < 80; i++) pods.push(pod(`share${i}`, 1, shares[i % shares.length] as number));
  for (let i = 0; i < 150; i++) pods.push(pod(`whole${i}`, 1, 1000));
  for (const n of [2, 2, 4, 4, 8, 8]) pods.push(pod(`multi${pods.length}`, n, 1000));
  return pods;
}

const vocabulary: SpecChoice[] = [
  { models: ['T4'], weight: 5 },
  { models: ['V100M16', 'V100M32'], weight: 2 },
  { models: ['G2'], weight: 1 },
];

const gpuMilli = (p: TracePod): number => p.numGpu * p.gpuMilli;

function expectValidRows(pods: readonly TracePod[]): void {
  expect(new Set(pods.map((p) => p.name)).size).toBe(pods.length);
  for (const p of pods) {
    expect([0, 1, 2, 4, 8]).toContain(p.numGpu);
    expect(p.gpuMilli).toBeGreaterThanOrEqual(0);
    expect(p.gpuMilli).toBeLessThanOrEqual(1000);
    if (p.gpuMilli > 0 && p.gpuMilli < 1000) expect(p.numGpu).toBe(1);
    if (p.numGpu === 0) expect(p.gpuMilli).toBe(0);
  }
}

describe('generateVariant', () => {
  const base = baseTrace();
  const before = traceMix(base);
  // The largest single pod, as a share of the GPU request: the step by which shares move.
  const step = (pods: readonly TracePod[]): number =>
    Math.max(...pods.map(gpuMilli)) / pods.reduce((s, p) => s + gpuMilli(p), 0);

  it.each([50, 60, 80, 100])('gpushare%i: sharing pods reach the share, pod count unchanged', (percent) => {
    const out = generateVariant(base, { family: 'gpushare', percent }, seededRng(7));
    const mix = traceMix(out);
    expect(mix.sharingShare).toBeGreaterThanOrEqual(percent / 100 - 1e-9);
    expect(mix.sharingShare - percent / 100).toBeLessThanOrEqual(step(out));
    expect(out).toHaveLength(base.length);
    expect(mix.cpuOnlyShare).toBe(before.cpuOnlyShare);
    expectValidRows(out);
  });

  it.each([30, 50, 70])('multigpu%i: multi-GPU pods are added until they hold the share', (percent) => {
    const out = generateVariant(base, { family: 'multigpu', percent }, seededRng(7));
    const mix = traceMix(out);
    expect(mix.multiGpuShare).toBeGreaterThanOrEqual(percent / 100);
    expect(mix.multiGpuShare - percent / 100).toBeLessThanOrEqual(8000 / mix.gpuMilli);
    expect(out.slice(0, base.length)).toEqual(base);
    for (const added of out.slice(base.length)) expect(added.numGpu).toBeGreaterThan(1);
    expectValidRows(out);
  });

  it.each([20, 33, 60])(
    'gpuspec%i: constrained GPU request reaches the share, models from the vocabulary',
    (percent) => {
      const out = generateVariant(base, { family: 'gpuspec', percent }, seededRng(7), vocabulary);
      const mix = traceMix(out);
      expect(mix.constrainedShare).toBeGreaterThanOrEqual(percent / 100);
      expect(mix.constrainedShare - percent / 100).toBeLessThanOrEqual(step(out));
      const allowed = vocabulary.map((v) => v.models.join('|'));
      for (const p of out) if (p.gpuSpec.length > 0) expect(allowed).toContain(p.gpuSpec.join('|'));
      // Only the constraint changes: the resource shapes are the base trace's.
      expect(out.map((p) => ({ ...p, gpuSpec: [] }))).toEqual(base);
      expect(out.filter((p) => p.numGpu === 0).every((p) => p.gpuSpec.length === 0)).toBe(true);
    },
  );

  it.each([5, 20, 30, 40])('cpu: CPU-only pods make up %i% of the pods, GPU pods untouched', (percent) => {
    const out = generateVariant(base, { family: 'cpu', percent }, seededRng(7));
    const mix = traceMix(out);
    expect(Math.abs(mix.cpuOnlyShare - percent / 100)).toBeLessThanOrEqual(1 / out.length);
    expect(out.filter((p) => p.numGpu > 0)).toEqual(base.filter((p) => p.numGpu > 0));
    expectValidRows(out);
  });

  it('is deterministic per seed and differs across seeds', () => {
    const specs: VariantSpec[] = [
      { family: 'gpushare', percent: 70 },
      { family: 'multigpu', percent: 40 },
      { family: 'gpuspec', percent: 30 },
      { family: 'cpu', percent: 30 },
    ];
    for (const spec of specs) {
      const run = (seed: number): string =>
        JSON.stringify(generateVariant(base, spec, seededRng(seed), vocabulary));
      expect(run(3)).toBe(run(3));
      expect(run(3)).not.toBe(run(4));
    }
  });

  it('leaves a share already above the target as it is', () => {
    expect(generateVariant(base, { family: 'gpushare', percent: 1 }, seededRng(1))).toEqual(base);
  });

  it('rejects impossible requests with the reason', () => {
    expect(() => generateVariant(base, { family: 'gpuspec', percent: 20 }, seededRng(1))).toThrow(
      /vocabulary/,
    );
    expect(() => generateVariant(base, { family: 'cpu', percent: 99 }, seededRng(1))).toThrow(/below 95%/);
    expect(() => generateVariant(base, { family: 'gpushare', percent: 130 }, seededRng(1))).toThrow(
      /0\.\.100/,
    );
    const noShares = base.filter((p) => p.gpuMilli === 1000 || p.numGpu === 0);
    expect(() => generateVariant(noShares, { family: 'gpushare', percent: 50 }, seededRng(1))).toThrow(
      /no GPU-sharing pods/,
    );
  });
});

describe('variant names', () => {
  it('reads the upstream naming (cpu in tenths of a percent) and writes it back', () => {
    expect(parseVariantName('gpushare60')).toEqual({ family: 'gpushare', percent: 60 });
    expect(parseVariantName('cpu200')).toEqual({ family: 'cpu', percent: 20 });
    expect(parseVariantName('cpu050')).toEqual({ family: 'cpu', percent: 5 });
    for (const name of ['gpushare80', 'multigpu30', 'gpuspec33', 'cpu300', 'cpu037']) {
      expect(variantName(parseVariantName(name))).toBe(name);
    }
  });

  it('rejects unknown families and out-of-range shares', () => {
    expect(() => parseVariantName('memory50')).toThrow(/gpushare\|multigpu/);
    expect(() => parseVariantName('multigpu99')).toThrow(/exceeds 95%/);
  });
});

describe('specVocabulary', () => {
  it('counts the model sets of constrained GPU pods only', () => {
    const pods = [
      pod('a', 1, 1000, ['T4']),
      pod('b', 1, 500, ['T4']),
      pod('c', 2, 1000, ['P100', 'V100M16']),
      pod('d', 0, 0, ['T4']),
      pod('e', 1, 1000),
    ];
    expect(specVocabulary(pods)).toEqual([
      { models: ['P100', 'V100M16'], weight: 1 },
      { models: ['T4'], weight: 2 },
    ]);
  });
});
