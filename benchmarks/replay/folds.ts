// Leave-one-family-out folds: the phalanx constants used on a trace of family F are tuned on the
// other families only. `default` belongs to no family (it is the base every variant is built from)
// and is never tuned on, so every fold holds it out; it is reported with the shipped constants.
import { existsSync, readFileSync } from 'node:fs';
import type { Family } from './traces.js';
import type { PhalanxWeights } from '../../src/core/policies/phalanx.js';

export const FOLD_FAMILIES = ['gpushare', 'multigpu', 'gpuspec', 'cpu'] as const satisfies readonly Family[];
export type FoldFamily = (typeof FOLD_FAMILIES)[number];

export interface FoldRecord {
  readonly heldOut: FoldFamily;
  readonly weights: PhalanxWeights;
  /** Training objective of the chosen weights (mean gap to fgd + worst positive gap, points). */
  readonly objective: number;
}

export interface CrossValidationRecord {
  readonly folds: readonly FoldRecord[];
  /** Tuned on all four families: what src/core/policies/phalanx.ts ships. */
  readonly allFamilies: { readonly weights: PhalanxWeights; readonly objective: number };
}

export function readCrossValidation(file: string): CrossValidationRecord | undefined {
  if (!existsSync(file)) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as CrossValidationRecord;
}

export const sameWeights = (a: PhalanxWeights, b: PhalanxWeights): boolean =>
  a.bestFit === b.bestFit && a.stranded === b.stranded;
