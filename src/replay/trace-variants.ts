// Harder variants of the openb trace families, built from the default pod list the way the trace
// README describes the published ones (deterministic for a given seed):
//  - gpushareNN: GPU-sharing pods hold NN% of the GPU request. Randomly chosen non-sharing GPU pods
//    are replaced by sharing pods resampled from the trace; the pod count stays the same.
//  - multigpuNN: multi-GPU pods hold NN% of the GPU request. Multi-GPU pods resampled from the
//    trace are added; nothing is removed.
//  - gpuspecNN: NN% of the GPU request is constrained to GPU models. Randomly chosen GPU pods get a
//    model set drawn from a vocabulary (the sets the published gpuspec lists use, by frequency).
//  - cpuNNN: CPU-only pods are NNN/10 % of the pods (cpu200 = 20%). CPU-only pods are resampled
//    from the trace (or dropped) while the GPU pods stay as they are.
// Each target share is reached to within one pod's worth of GPU request (or one pod for cpu).
import { shuffleInPlace, type SeededRng } from './seeded-rng.js';
import { podGpuMilli } from './trace-convert.js';
import type { TracePod } from './trace-csv.js';
import { gpuMilliSplit, isConstrained, isCpuOnly, isMultiGpu, isSharing } from './trace-mix.js';

export const VARIANT_FAMILIES = ['gpushare', 'multigpu', 'gpuspec', 'cpu'] as const;
export type VariantFamily = (typeof VARIANT_FAMILIES)[number];

export interface VariantSpec {
  readonly family: VariantFamily;
  /** Target share in percent (0..100; multigpu and cpu below 100). */
  readonly percent: number;
}

/** A model set and how often it appears (pods) in the source it was taken from. */
export interface SpecChoice {
  readonly models: readonly string[];
  readonly weight: number;
}

/** "gpushare60" → gpushare 60%; "cpu200" → cpu 20% (the upstream naming: tenths of a percent). */
export function parseVariantName(name: string): VariantSpec {
  const m = /^(gpushare|multigpu|gpuspec|cpu)(\d{2,3})$/.exec(name);
  if (!m)
    throw new Error(`variant "${name}" is not <gpushare|multigpu|gpuspec|cpu><digits>, e.g. gpushare60`);
  const family = m[1] as VariantFamily;
  const digits = Number(m[2]);
  const percent = family === 'cpu' ? digits / 10 : digits;
  const limit = family === 'gpushare' || family === 'gpuspec' ? 100 : 95;
  if (percent > limit) throw new Error(`variant "${name}": ${family} share ${percent}% exceeds ${limit}%`);
  return { family, percent };
}

export function variantName(spec: VariantSpec): string {
  if (spec.family === 'cpu') return `cpu${String(Math.round(spec.percent * 10)).padStart(3, '0')}`;
  return `${spec.family}${String(Math.round(spec.percent)).padStart(2, '0')}`;
}

/** The distinct model sets of a pod list's constrained GPU pods, weighted by pod count. */
export function specVocabulary(pods: readonly TracePod[]): SpecChoice[] {
  const counts = new Map<string, SpecChoice>();
  for (const pod of pods) {
    if (!isConstrained(pod)) continue;
    const key = pod.gpuSpec.join('|');
    const known = counts.get(key);
    counts.set(key, { models: pod.gpuSpec, weight: (known?.weight ?? 0) + 1 });
  }
  return [...counts.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, c]) => c);
}

function pick<T>(items: readonly T[], rng: SeededRng, what: string): T {
  if (items.length === 0) throw new Error(`the base trace has no ${what} to resample`);
  return items[rng.below(items.length)] as T;
}

function weightedPick(choices: readonly SpecChoice[], rng: SeededRng): readonly string[] {
  const total = choices.reduce((s, c) => s + c.weight, 0);
  let r = rng.next() * total;
  for (const c of choices) {
    r -= c.weight;
    if (r < 0) return c.models;
  }
  return (choices[choices.length - 1] as SpecChoice).models;
}

/** Indices of the pods matching `keep`, in random order. */
function shuffledIndices(
  pods: readonly TracePod[],
  keep: (p: TracePod) => boolean,
  rng: SeededRng,
): number[] {
  const out: number[] = [];
  pods.forEach((p, i) => {
    if (keep(p)) out.push(i);
  });
  shuffleInPlace(out, rng);
  return out;
}

const copyName = (pod: TracePod, k: number): string => `${pod.name}-v${k}`;

function raiseSharing(base: readonly TracePod[], share: number, rng: SeededRng): TracePod[] {
  const pool = base.filter(isSharing);
  const out = [...base];
  const split = gpuMilliSplit(base, isSharing);
  let total = split.total;
  let sharing = split.inClass;
  let k = 0;
  for (const i of shuffledIndices(base, (p) => podGpuMilli(p) > 0 && !isSharing(p), rng)) {
    if (sharing >= share * total) break;
    const old = out[i] as TracePod;
    const source = pick(pool, rng, 'GPU-sharing pods');
    out[i] = { ...source, name: copyName(source, k++) };
    total += podGpuMilli(source) - podGpuMilli(old);
    sharing += podGpuMilli(source);
  }
  return out;
}

function raiseMultiGpu(base: readonly TracePod[], share: number, rng: SeededRng): TracePod[] {
  const pool = base.filter(isMultiGpu);
  const out = [...base];
  const split = gpuMilliSplit(base, isMultiGpu);
  let total = split.total;
  let multi = split.inClass;
  let k = 0;
  while (multi < share * total) {
    const source = pick(pool, rng, 'multi-GPU pods');
    out.push({ ...source, name: copyName(source, k++) });
    total += podGpuMilli(source);
    multi += podGpuMilli(source);
  }
  return out;
}

function raiseConstrained(
  base: readonly TracePod[],
  share: number,
  vocabulary: readonly SpecChoice[],
  rng: SeededRng,
): TracePod[] {
  if (vocabulary.length === 0) throw new Error('gpuspec variants need a non-empty model-set vocabulary');
  const out = [...base];
  // Constraining a pod keeps its GPU request: only the constrained part grows.
  const { total, inClass } = gpuMilliSplit(base, isConstrained);
  let constrained = inClass;
  for (const i of shuffledIndices(base, (p) => podGpuMilli(p) > 0 && !isConstrained(p), rng)) {
    if (constrained >= share * total) break;
    const pod = out[i] as TracePod;
    out[i] = { ...pod, gpuSpec: weightedPick(vocabulary, rng) };
    constrained += podGpuMilli(pod);
  }
  return out;
}

function setCpuOnly(base: readonly TracePod[], share: number, rng: SeededRng): TracePod[] {
  const gpuPods = base.filter((p) => !isCpuOnly(p));
  const cpuPods = base.filter(isCpuOnly);
  const wanted = Math.round((share * gpuPods.length) / (1 - share));
  if (wanted <= cpuPods.length) {
    const keep = new Set(shuffledIndices(cpuPods, () => true, rng).slice(0, wanted));
    return [...gpuPods, ...cpuPods.filter((_, i) => keep.has(i))];
  }
  const added: TracePod[] = [];
  for (let k = 0; cpuPods.length + added.length < wanted; k++) {
    const source = pick(cpuPods, rng, 'CPU-only pods');
    added.push({ ...source, name: copyName(source, k) });
  }
  return [...base, ...added];
}

/**
 * A variant of `base` (normally openb_pod_list_default.csv) with the family's share raised (or, for
 * cpu, set) to `spec.percent`. A share already at or above the target leaves the list unchanged
 * (except cpu, which also lowers). `vocabulary` is required for gpuspec.
 */
export function generateVariant(
  base: readonly TracePod[],
  spec: VariantSpec,
  rng: SeededRng,
  vocabulary: readonly SpecChoice[] = [],
): TracePod[] {
  if (!(spec.percent >= 0 && spec.percent <= 100)) {
    throw new Error(`variant percent must be within 0..100, got ${spec.percent}`);
  }
  const share = spec.percent / 100;
  switch (spec.family) {
    case 'gpushare':
      return raiseSharing(base, share, rng);
    case 'multigpu':
      if (share >= 0.95) throw new Error('multigpu share must stay below 95%');
      return raiseMultiGpu(base, share, rng);
    case 'gpuspec':
      return raiseConstrained(base, share, vocabulary, rng);
    case 'cpu':
      if (share >= 0.95) throw new Error('cpu-only share must stay below 95%');
      return setCpuOnly(base, share, rng);
  }
}
