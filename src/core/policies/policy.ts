// The seam every placement policy plugs into. The live extender (prioritize, device choice at bind)
// and the trace replayer call the same policies through this interface.
import type { Assignment, NodeGpuState, PodDemand } from '../types.js';

/** One concrete way to place a pod on a node: the node's current state and the devices chosen. */
export interface Candidate {
  readonly node: NodeGpuState;
  readonly assignment: Assignment;
  readonly demand: PodDemand;
}

export interface PlacementPolicy {
  readonly name: string;
  /**
   * Rank one candidate; higher is better. Pure with respect to the candidate: nothing it records
   * may change a score before `version()` changes. Called for every feasible device set on every
   * feasible node, so keep it cheap. A policy whose score reads the node only through its model and
   * free view may declare it (score-class-cache.ts): placement then scores one node per class.
   */
  score(candidate: Candidate): number;
  /**
   * Learning hook: a pod's demand was seen (arrived), whether or not it was placed. Policies that
   * learn the typical pod shapes online (fragmentation-aware ones) update their statistics here.
   */
  observe?(demand: PodDemand): void;
  /**
   * The cluster's schedulable GPUs per GPU model, given before a pod is observed whenever callers
   * know it (the extender from its node informer, the replayer from the trace's nodes). A policy
   * that reads it changes `version()` before any score follows it.
   */
  observeCapacity?(gpusByModel: ReadonlyMap<string, number>): void;
  /**
   * For policies whose scores depend on learned state: a number that changes whenever scores for
   * the same candidate may change. Callers cache scores per node state and policy version; a policy
   * without this method promises its scores depend on the candidate alone.
   */
  version?(): number;
}
