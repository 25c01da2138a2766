// Raw policy scores → kube-scheduler extender scores: integers 0..MaxExtenderPriority (10), 10 best.
// Min-max scaling keeps the ranking; kube-scheduler multiplies by the extender's weight.

/** MaxExtenderPriority in kube-scheduler's extender API. */
export const MAX_EXTENDER_SCORE = 10;

/**
 * Maps each raw score linearly onto 0..10 (lowest → 0, highest → 10), rounded, over an array aligned
 * with the request's node names (prioritize over 5000 nodes builds no maps). When all scores are
 * equal there is no preference: every node gets 0, so the extender adds nothing. Non-finite raw
 * scores (NaN for "no fit", ±Infinity) get 0 and do not stretch the scale.
 */
export function scaleToExtenderScores(raw: readonly number[]): number[] {
  let min = Infinity;
  let max = -Infinity;
  // Indexed, not for-of: once per prioritize over every node, and for-of's iterator results were
  // allocated per element where V8 had not optimised the loop (~230 KB per pod at 4896 nodes).
  for (let i = 0; i < raw.length; i++) {
    const value = raw[i]!;
    if (!Number.isFinite(value)) continue;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  // Halves, so scores near ±Number.MAX_VALUE cannot overflow the range to Infinity.
  const range = max / 2 - min / 2;
  // An indexed loop again: V8 optimises it while it runs (on-stack replacement), where a map
  // callback ran unoptimised over every node for the first pods of a new shape.
  const scores = new Array<number>(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const value = raw[i]!;
    scores[i] =
      Number.isFinite(value) && range > 0
        ? Math.round(MAX_EXTENDER_SCORE * ((value / 2 - min / 2) / range))
        : 0;
  }
  return scores;
}
