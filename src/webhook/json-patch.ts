// The RFC 6902 patch a mutating webhook returns, computed by comparing the original object with the
// mutated copy (fast-json-patch escapes '/' as '~1' and '~' as '~0', and adds whole maps where the
// original had none, which the apiserver's evanphx/json-patch requires).
import jsonpatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';

export type PatchOperation = Operation;

export function buildPatch(original: unknown, mutated: unknown): PatchOperation[] {
  return jsonpatch.compare(original as object, mutated as object);
}
