// Fuzzing the request annotations and GPU amounts (core/demand-annotations + core/pod-demand),
// 10 000 generated pods per property: the parse either returns or throws a DemandError naming an
// input that is present on the pod (never another error), every number is bounded (gang size by the
// limit, whole GPUs by the per-pod limit, memory by the largest GPU), and valid values are read
// exactly as a model reads them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_GROUP_SIZE } from '../../src/core/demand-annotations.js';
import { DemandError } from '../../src/core/errors.js';
import type { PodShape } from '../../src/core/kube-shapes.js';
import { MAX_GPU_MEMORY_BYTES, parsePodDemand } from '../../src/core/pod-demand.js';
import { annotationsArb, ANNOTATION_VALUE } from '../support/pod-fuzz.js';

const RUNS = 10_000;

function podWith(
  annotations: Record<string, string>,
  limits: Record<string, string | number> = {},
): PodShape {
  return {
    metadata: { name: 'p', namespace: 'ml', annotations },
    spec: { containers: [{ name: 'main', resources: { limits } }] },
  };
}

describe('any request annotations and GPU amounts', () => {
  it('parse or throw a DemandError naming an input the pod has', () => {
    const limits = fc.dictionary(
      fc.constantFrom('nvidia.com/gpu', 'phalanx.dev/gpu-milli', 'cpu', 'memory'),
      fc.oneof(ANNOTATION_VALUE, fc.integer({ min: -5, max: 5000 })),
      { maxKeys: 3 },
    );
    fc.assert(
      fc.property(
        annotationsArb,
        limits,
        fc.integer({ min: 1, max: 5000 }),
        (annotations, lim, maxGroupSize) => {
          const pod = podWith(annotations, lim);
          try {
            const demand = parsePodDemand(pod, { maxGroupSize, maxGpusPerPod: 64 });
            if (demand.gang)
              expect(demand.gang.size).toBeLessThanOrEqual(Math.min(maxGroupSize, MAX_GROUP_SIZE));
            if (demand.gpu.kind === 'whole') expect(demand.gpu.count).toBeLessThanOrEqual(64);
            if (demand.gpu.kind === 'memory' || demand.gpu.kind === 'fraction') {
              expect(demand.gpu.memoryBytes ?? 0).toBeLessThanOrEqual(MAX_GPU_MEMORY_BYTES);
            }
          } catch (err) {
            expect(err).toBeInstanceOf(DemandError);
            const field = (err as DemandError).field;
            // A half gang pair names the half that is missing.
            const pairMissing =
              (err as DemandError).rule === 'missing-pair' &&
              (Object.hasOwn(annotations, 'phalanx.dev/pod-group') ||
                Object.hasOwn(annotations, 'phalanx.dev/group-size'));
            const named =
              pairMissing ||
              Object.hasOwn(annotations, field) ||
              Object.keys(lim).some((r) => field === r || field.endsWith(`[${r}]`));
            expect(named, `${field}: ${(err as Error).message}`).toBe(true);
            expect((err as Error).message).toContain(field);
          }
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('phalanx.dev/group-size', () => {
  it('is read as the model reads it: 1..limit accepted, larger refused as too large naming the annotation', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: 0, max: 10_000 }),
          fc.constant(999_999_999),
          fc.bigInt({ min: 0n, max: 10n ** 40n }),
        ),
        fc.integer({ min: 1, max: 4096 }),
        fc.constantFrom('', ' ', '0'),
        (size, limit, pad) => {
          const text = `${pad.trim() === '' ? pad : ''}${String(size)}`;
          const pod = podWith({ 'phalanx.dev/pod-group': 'g', 'phalanx.dev/group-size': text });
          const n = Number(size);
          let result: number | string;
          try {
            result = parsePodDemand(pod, { maxGroupSize: limit }).gang?.size ?? -1;
          } catch (err) {
            expect(err).toBeInstanceOf(DemandError);
            expect((err as DemandError).field).toBe('phalanx.dev/group-size');
            result = (err as DemandError).rule;
          }
          expect(result).toBe(n < 1 ? 'out-of-range' : n > limit ? 'too-large' : n);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('whole GPUs', () => {
  it('are accepted up to the per-pod limit and refused above it naming nvidia.com/gpu', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1, max: 1024 }), (count, limit) => {
        const pod = podWith({}, { 'nvidia.com/gpu': String(count) });
        let result: number | string;
        try {
          const gpu = parsePodDemand(pod, { maxGpusPerPod: limit }).gpu;
          result = gpu.kind === 'whole' ? gpu.count : gpu.kind;
        } catch (err) {
          expect((err as DemandError).field).toBe('nvidia.com/gpu');
          result = (err as DemandError).rule;
        }
        expect(result).toBe(count > limit ? 'too-large' : count);
      }),
      { numRuns: RUNS },
    );
  });
});
