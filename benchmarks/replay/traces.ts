// The traces the replay benchmarks run: the shipped openb pod lists and generated harder variants
// of each family (src/replay/trace-variants.ts). A trace id is the shipped name ("gpushare40") or
// a generated name with its generator seed ("gpushare60#1"). Loaded once per process.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { seededRng } from '../../src/replay/seeded-rng.js';
import { parseNodeCsv, parsePodCsv, type TraceNode, type TracePod } from '../../src/replay/trace-csv.js';
import { generateVariant, parseVariantName, specVocabulary } from '../../src/replay/trace-variants.js';

export const TRACES_DIR = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'traces', 'openb');

/** Levels beyond the shipped ones (the FGD paper's heavier variants, not shipped here). */
export const GENERATED_VARIANTS = [
  'gpushare60',
  'gpushare80',
  'multigpu30',
  'multigpu50',
  'gpuspec20',
  'gpuspec33',
  'cpu200',
  'cpu300',
] as const;

/** Published gpuspec list whose model sets (by frequency) the generated gpuspec variants draw from. */
const SPEC_SOURCE = 'gpuspec10';

export type Family = 'default' | 'gpushare' | 'multigpu' | 'gpuspec' | 'cpu';

export function familyOf(trace: string): Family {
  const m = /^(gpushare|multigpu|gpuspec|cpu)\d/.exec(trace);
  return (m?.[1] as Family | undefined) ?? 'default';
}

export function shippedTraces(): string[] {
  return readdirSync(TRACES_DIR)
    .map((f) => /^openb_pod_list_(.+)\.csv$/.exec(f)?.[1])
    .filter((t): t is string => t !== undefined)
    .sort();
}

export function generatedTraces(variantSeeds: readonly number[]): string[] {
  return GENERATED_VARIANTS.flatMap((v) => variantSeeds.map((s) => `${v}#${s}`));
}

/** "gpushare60#1" → name and generator seed; a shipped name has no seed. */
export function splitTraceId(id: string): { name: string; variantSeed: number | undefined } {
  const [name = id, seed] = id.split('#');
  return { name, variantSeed: seed === undefined ? undefined : Number(seed) };
}

const shippedPods = (name: string): TracePod[] => {
  const file = join(TRACES_DIR, `openb_pod_list_${name}.csv`);
  return parsePodCsv(readFileSync(file, 'utf8'), file);
};

const podCache = new Map<string, readonly TracePod[]>();
let nodeCache: readonly TraceNode[] | undefined;

export function tracePods(id: string): readonly TracePod[] {
  const known = podCache.get(id);
  if (known) return known;
  const { name, variantSeed } = splitTraceId(id);
  let pods: readonly TracePod[];
  if (variantSeed === undefined) {
    pods = shippedPods(name);
  } else {
    if (!Number.isSafeInteger(variantSeed) || variantSeed < 0) throw new Error(`trace ${id}: bad seed`);
    const spec = parseVariantName(name);
    const vocabulary = spec.family === 'gpuspec' ? specVocabulary(tracePods(SPEC_SOURCE)) : [];
    pods = generateVariant(tracePods('default'), spec, seededRng(variantSeed), vocabulary);
  }
  podCache.set(id, pods);
  return pods;
}

export function traceNodes(): readonly TraceNode[] {
  if (nodeCache === undefined) {
    const file = join(TRACES_DIR, 'openb_node_list_gpu_node.csv');
    nodeCache = parseNodeCsv(readFileSync(file, 'utf8'), file);
  }
  return nodeCache;
}
