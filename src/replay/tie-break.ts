// The best-scoring options with uniform random tie-breaking over nodes (kube-scheduler's selectHost
// picks uniformly among the nodes with the top score). An option may stand for several identical
// nodes, so it carries a weight. Arrays are reused across pods: scoring runs millions of times.
import type { SeededRng } from './seeded-rng.js';

/** Scores this close (relative) count as equal: they differ only by floating-point noise. */
const TIE = 1e-9;

export class TopScores<T> {
  private readonly items: T[] = [];
  private readonly weights: number[] = [];
  private best = -Infinity;

  reset(): void {
    this.items.length = 0;
    this.weights.length = 0;
    this.best = -Infinity;
  }

  /** Whether offer() would keep this score (lets callers skip building the item). */
  accepts(score: number): boolean {
    return (
      this.items.length === 0 ||
      score >= this.best - TIE * (this.best > 1 || this.best < -1 ? Math.abs(this.best) : 1)
    );
  }

  offer(item: T, score: number, weight: number): void {
    const slack = TIE * (score > 1 || score < -1 ? Math.abs(score) : 1);
    if (this.items.length === 0 || score > this.best + slack) {
      this.best = score;
      this.items.length = 0;
      this.weights.length = 0;
    } else if (score < this.best - slack) {
      return;
    }
    this.items.push(item);
    this.weights.push(weight);
  }

  /** One of the top options, with probability proportional to its weight; undefined if none. */
  pick(rng: SeededRng): T | undefined {
    const n = this.items.length;
    if (n <= 1) return this.items[0];
    let total = 0;
    for (const w of this.weights) total += w;
    let r = rng.below(total);
    for (let i = 0; i < n; i++) {
      r -= this.weights[i] ?? 0;
      if (r < 0) return this.items[i];
    }
    return this.items[n - 1];
  }
}
