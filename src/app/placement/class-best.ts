// A node class's best choice under a policy scored by free view (score-class-cache.ts), computed
// on one node of the class and handed to every other: the score is the same on each, and a node's
// own device set is the first of its devices whose state reaches that score.
import type { NodeClasses } from './node-classes.js';
import { candidateAssignments } from '../../core/ledger/device-fit.js';
import type { PlacementPolicy } from '../../core/policies/policy.js';
import type { Assignment, DeviceShare, DeviceState, NodeGpuState, PodDemand } from '../../core/types.js';

export interface ScoredAssignment {
  readonly assignment: Assignment;
  readonly score: number;
}

/**
 * The score, and the device states whose candidates reach it (with the share each takes). No
 * winners and no firstCandidate: not shareable (a NaN score, whose tie-breaking depends on order),
 * so nodes of the class are scored one by one.
 */
export interface ClassBest {
  readonly score: number;
  readonly winners?: ReadonlyMap<string, DeviceShare>;
  /** Whole-device pods: every candidate scores alike, so each node's first candidate is its best. */
  readonly firstCandidate?: true;
}

const UNSHAREABLE: ClassBest = { score: Number.NaN };

function deviceAt(node: NodeGpuState, index: number): DeviceState | undefined {
  const atPosition = node.devices[index];
  return atPosition?.index === index ? atPosition : node.devices.find((d) => d.index === index);
}

/**
 * Scores the candidates of one node of the class (`node`, its `candidates` for the demand). Shared
 * GPUs: one candidate per device state, since two devices of equal signature (same free milli
 * before, same share taken) score alike under such a policy on the same node.
 */
export function evaluateClass(
  policy: PlacementPolicy,
  node: NodeGpuState,
  candidates: readonly Assignment[],
  demand: PodDemand,
  classes: NodeClasses,
): ClassBest {
  if (demand.gpu.kind === 'whole') {
    const first = candidates[0];
    return {
      score: first === undefined ? Number.NaN : policy.score({ node, assignment: first, demand }),
      firstCandidate: true,
    };
  }
  const signatures: string[] = [];
  const shares: DeviceShare[] = [];
  const scores: number[] = [];
  let top = -Infinity;
  // Indexed loops: run once per class and shape, in code V8 has rarely optimised (for-of allocates).
  for (let c = 0; c < candidates.length; c++) {
    const assignment = candidates[c]!;
    const share = assignment.devices[0];
    const device = share === undefined ? undefined : deviceAt(node, share.index);
    if (share === undefined || device === undefined) return UNSHAREABLE;
    const signature = classes.signature(device);
    if (signatures.includes(signature)) continue;
    const score = policy.score({ node, assignment, demand });
    if (Number.isNaN(score)) return UNSHAREABLE;
    signatures.push(signature);
    shares.push(share);
    scores.push(score);
    if (score > top) top = score;
  }
  const winners = new Map<string, DeviceShare>();
  for (let i = 0; i < scores.length; i++) if (scores[i] === top) winners.set(signatures[i]!, shares[i]!);
  return { score: top, winners };
}

/** Whether nodes of the class take the class's best (else each is scored alone). */
export function isShareable(best: ClassBest): boolean {
  return best.winners !== undefined || best.firstCandidate === true;
}

/**
 * A node's best from its class's: the score is known, the devices are picked when first read (only
 * bind reads them; prioritize over 5000 nodes reads scores alone).
 */
export class ClassBestOnNode implements ScoredAssignment {
  readonly score: number;
  readonly #node: NodeGpuState;
  readonly #demand: PodDemand;
  readonly #shared: ClassBest;
  readonly #classes: NodeClasses;
  #assignment: Assignment | undefined;

  constructor(node: NodeGpuState, demand: PodDemand, shared: ClassBest, classes: NodeClasses) {
    this.score = shared.score;
    this.#node = node;
    this.#demand = demand;
    this.#shared = shared;
    this.#classes = classes;
  }

  get assignment(): Assignment {
    return (this.#assignment ??= this.#pick());
  }

  /**
   * The first device (in node order) whose state reaches the best score: what scoring every
   * candidate in order and keeping the first maximum picks. The class guarantees one exists.
   */
  #pick(): Assignment {
    const node = this.#node;
    const winners = this.#shared.winners;
    if (winners !== undefined) {
      for (const device of node.devices) {
        const share = winners.get(this.#classes.signature(device));
        if (share !== undefined) {
          const devices = [{ index: device.index, milli: share.milli, memoryBytes: share.memoryBytes }];
          return { node: node.inventory.name, whole: false, devices };
        }
      }
    }
    const first = candidateAssignments(node, this.#demand)[0];
    if (first === undefined) throw new Error(`node ${node.inventory.name}: no candidate left in its class`);
    return first;
  }
}
