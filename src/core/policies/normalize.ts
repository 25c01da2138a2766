// Raw policy scores → kube-scheduler extender scores: integers 0..MaxExtenderPriority (10), 10 best.
// Min-max scaling keeps the ranking; kube-scheduler multiplies by the extender's weight.

/** MaxExtenderPriority in kube-scheduler's extender API. */
export const MAX_EXTENDER_SCORE = 10;

/**
 * Maps each host's raw score linearly onto 0..10 (lowest → 0, highest → 10), rounded. When all
 * scores are equal there is no preference: every host gets 0, so the extender adds nothing.
 * Non-finite raw scores (NaN, ±Infinity) get 0 and do not stretch the scale.
 */
export function toExtenderScores(raw: ReadonlyMap<string, number>): Map<string, number> {
  let min = Infinity;
  let max = -Infinity;
  for (const value of raw.values()) {
    if (!Number.isFinite(value)) continue;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  const out = new Map<string, number>();
  const range = max - min;
  for (const [host, value] of raw) {
    if (!Number.isFinite(value) || !(range > 0)) out.set(host, 0);
    else out.set(host, Math.round((MAX_EXTENDER_SCORE * (value - min)) / range));
  }
  return out;
}
