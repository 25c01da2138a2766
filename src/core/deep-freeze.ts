// Freezing a value shared between callers who must not change it: a mutation then throws (ES
// modules are strict) instead of leaking into the next caller's answer.

/** Freezes a JSON-like value and every object and array inside it; returns it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const inner of Object.values(value)) deepFreeze(inner);
  return value;
}
