// Capacity figures of one node and their sums over a domain: free whole GPUs, free milli on partly
// used devices, the largest gang per member size, and the FGD expected fragment against the
// observed pod mix. The map and the fabric metrics both read these, so they always agree.
import { expectedFragment } from '../policies/fragmentation.js';
import { freeView } from '../policies/node-view.js';
import type { PodTypeTable } from '../policies/pod-types.js';
import { MILLI_PER_GPU, type NodeGpuState } from '../types.js';
import { GANG_MEMBER_SIZES, type FabricFigures } from './occupancy-types.js';

/** A running sum of figures; `largestGangGpus` per member size adds up node by node. */
export class FiguresSum {
  nodes = 0;
  gpus = 0;
  usedMilli = 0;
  freeWhole = 0;
  freeMilliPartial = 0;
  fragmentMilli = 0;
  readonly largestGangGpus = new Map<number, number>(GANG_MEMBER_SIZES.map((k) => [k, 0]));

  add(f: FabricFigures): void {
    this.nodes += f.nodes;
    this.gpus += f.gpus;
    this.usedMilli += f.usedMilli;
    this.freeWhole += f.freeWhole;
    this.freeMilliPartial += f.freeMilliPartial;
    this.fragmentMilli += f.fragmentMilli;
    for (const k of GANG_MEMBER_SIZES) {
      this.largestGangGpus.set(k, (this.largestGangGpus.get(k) ?? 0) + (f.largestGangGpus[String(k)] ?? 0));
    }
  }

  figures(): FabricFigures {
    return {
      nodes: this.nodes,
      gpus: this.gpus,
      usedMilli: this.usedMilli,
      freeWhole: this.freeWhole,
      freeMilliPartial: this.freeMilliPartial,
      largestGangGpus: Object.fromEntries([...this.largestGangGpus].map(([k, v]) => [String(k), v])),
      // Rounded: an average over the mix; a fraction of a milli-GPU means nothing to a reader.
      fragmentMilli: Math.round(this.fragmentMilli),
    };
  }
}

/**
 * The node's figures. A cordoned node offers nothing: no free capacity, no fragment (nothing can
 * be placed there, so nothing is lost to fragmentation either).
 */
export function nodeFigures(node: NodeGpuState, mix: PodTypeTable): FabricFigures {
  let usedMilli = 0;
  let freeWhole = 0;
  let freeMilliPartial = 0;
  for (const d of node.devices) {
    usedMilli += d.usedMilli;
    if (d.mode === 'free') freeWhole += 1;
    if (d.mode === 'shared') freeMilliPartial += MILLI_PER_GPU - d.usedMilli;
  }
  const schedulable = !node.inventory.unschedulable;
  const largestGangGpus: Record<string, number> = {};
  for (const k of GANG_MEMBER_SIZES) {
    // A member cannot span nodes: this node takes floor(free / k) members of k GPUs.
    largestGangGpus[String(k)] = schedulable ? Math.floor(freeWhole / k) * k : 0;
  }
  const fragmentMilli = schedulable && mix.total > 0 ? expectedFragment(freeView(node), mix) / mix.total : 0;
  return {
    nodes: 1,
    gpus: node.devices.length,
    usedMilli,
    freeWhole: schedulable ? freeWhole : 0,
    freeMilliPartial: schedulable ? freeMilliPartial : 0,
    largestGangGpus,
    fragmentMilli,
  };
}
