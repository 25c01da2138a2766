// The submitted pod sequence of one seed: the trace's pods, inflated by resampling with replacement
// (or trimmed) until their GPU request reaches `ratio` × cluster capacity, then shuffled.
import { shuffleInPlace, type SeededRng } from './seeded-rng.js';
import { podGpuMilli } from './trace-convert.js';
import type { TracePod } from './trace-csv.js';

export function buildWorkload(
  pods: readonly TracePod[],
  capacityMilli: number,
  ratio: number,
  rng: SeededRng,
): TracePod[] {
  if (pods.length === 0) return [];
  const target = capacityMilli * ratio;
  const total = pods.reduce((sum, p) => sum + podGpuMilli(p), 0);
  if (total === 0) throw new Error('the pod list requests no GPU; cannot inflate it to a GPU target');
  const list = [...pods];
  let sum = total;
  while (sum < target) {
    const pick = pods[rng.below(pods.length)] as TracePod;
    list.push(pick);
    sum += podGpuMilli(pick);
  }
  shuffleInPlace(list, rng);
  if (total <= target) return list;
  let kept = 0;
  let keptMilli = 0;
  while (keptMilli < target && kept < list.length) keptMilli += podGpuMilli(list[kept++] as TracePod);
  return list.slice(0, kept);
}
