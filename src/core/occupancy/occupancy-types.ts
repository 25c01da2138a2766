// The occupancy map's contract: the fabric as the ledger, the topology labels and the gang plans
// show it, shaped for people (the web page at /map, `phalanx map`) rather than for placement.
// Contract file: the JSON served at /map/api/view has exactly these shapes; keep it documented.

/** Whole-GPU member sizes for which "largest gang that fits now" is reported. */
export const GANG_MEMBER_SIZES: readonly number[] = [1, 2, 4, 8];

/** A domain value for nodes that lack a level's label (label values cannot contain parentheses). */
export const UNLABELLED = '(none)';

/** What the adapter knows of the pod behind a ledger holding (the ledger itself knows UIDs only). */
export interface HolderPod {
  readonly namespace: string;
  readonly name: string;
  /** Gang key "<namespace>/<pod-group>", when the pod is a gang member. */
  readonly gang?: string;
  /** The placement level recorded at bind (phalanx.dev/placement-level). */
  readonly level?: string;
}

export type HolderLookup = (uid: string) => HolderPod | undefined;

/** Capacity figures of a node or domain. Cordoned nodes offer nothing (as the gang planner sees them). */
export interface FabricFigures {
  readonly nodes: number;
  readonly gpus: number;
  readonly usedMilli: number;
  /** Devices nobody holds any share of, on schedulable nodes. */
  readonly freeWhole: number;
  /** Free milli on devices that already hold shares, on schedulable nodes. */
  readonly freeMilliPartial: number;
  /**
   * Largest gang, in GPUs, of members needing `k` whole GPUs each that the free devices could take
   * now, per k in GANG_MEMBER_SIZES (devices only: selectors, taints and islands not considered).
   */
  readonly largestGangGpus: Readonly<Record<string, number>>;
  /**
   * FGD expected fragment: free milli that a pod drawn from the observed pod mix could not use,
   * averaged over the mix (0 while no GPU pod is known).
   */
  readonly fragmentMilli: number;
}

/** One pod's share of a device, or a device given whole. */
export interface ShareCell {
  /** "namespace/name", or "gang <key> slot <i>" for a gang slot no member has claimed yet. */
  readonly holder: string;
  readonly uid: string;
  readonly milli: number;
  readonly memoryBytes: number;
  readonly state: 'committed' | 'reserved';
  readonly whole: boolean;
  readonly gang?: string;
  /** Reservations only: a gang member parked at the bind barrier. */
  readonly atBarrier?: true;
}

export interface DeviceCell {
  readonly index: number;
  readonly mode: 'free' | 'whole' | 'shared';
  readonly usedMilli: number;
  readonly memoryBytes: number;
  readonly usedMemoryBytes: number;
  readonly shares: readonly ShareCell[];
}

export interface NodeCell {
  readonly name: string;
  readonly model: string;
  readonly unschedulable: boolean;
  readonly figures: FabricFigures;
  readonly devices: readonly DeviceCell[];
  /** Keys of the gangs with a member (or a planned slot) on this node. */
  readonly gangs: readonly string[];
}

/** A topology domain: its figures always; its children or nodes only when it is open. */
export interface DomainCell {
  /** Label values from the outermost level down to this one, joined by "/". */
  readonly id: string;
  readonly level: string;
  readonly name: string;
  readonly figures: FabricFigures;
  readonly open: boolean;
  /** Inner domains (levels above the closest one), when open. */
  readonly children?: readonly DomainCell[];
  /** The nodes (the closest level), when open. */
  readonly nodes?: readonly NodeCell[];
}

export interface GangMemberCell {
  readonly pod?: string;
  readonly node: string;
  readonly devices: readonly number[];
  /** Bound members are 'bound'; planned slots carry the tracker's phase. */
  readonly phase: 'open' | 'claimed' | 'waiting' | 'bound';
}

export interface GangOutline {
  readonly key: string;
  readonly name: string;
  /** The level the plan achieved (or the one recorded on bound members). */
  readonly level: string;
  /** The domain at that level (a label value; the node name at level "node"). */
  readonly domain: string;
  /** planned: slots reserved; binding: members at the barrier; bound: every known member bound. */
  readonly phase: 'planned' | 'binding' | 'bound';
  readonly members: readonly GangMemberCell[];
  readonly nodes: readonly string[];
}

export interface PendingCell {
  readonly kind: 'pod' | 'gang';
  /** "namespace/name" of a pod, the gang key of a gang. */
  readonly key: string;
  /** Why it waits, as Phalanx (through the scheduler) or its gate said it. */
  readonly reason: string;
  /** Gangs: members known and pending, and the size the gang asks for. */
  readonly pendingMembers?: number;
  readonly size?: number;
}

/** A ledger reservation: decided, not yet bound (gang slots, binds in flight). */
export interface ReservationCell {
  readonly holder: string;
  readonly node: string;
  readonly devices: readonly number[];
  readonly milli: number;
  readonly expiresInMs: number;
  readonly atBarrier: boolean;
}

export interface OccupancyView {
  /** Changes whenever anything shown may have changed. */
  readonly version: string;
  /** Topology levels, outermost first (the tree's order). */
  readonly levels: readonly string[];
  readonly totals: FabricFigures;
  readonly domains: readonly DomainCell[];
  /** Nodes shown in detail in this answer, and the most one answer carries. */
  readonly detailNodes: number;
  readonly maxDetailNodes: number;
  /** Open domains left closed because the answer reached maxDetailNodes. */
  readonly closedForSize: readonly string[];
  readonly gangs: readonly GangOutline[];
  readonly reservations: readonly ReservationCell[];
  readonly pending: readonly PendingCell[];
  readonly pendingTotal: number;
}

export interface SearchHit {
  readonly kind: 'pod' | 'gang' | 'node' | 'domain';
  /** What matched: "namespace/name", a gang key, a node or domain name. */
  readonly label: string;
  /** The node, for pods and nodes. */
  readonly node?: string;
  /** Ids of the domains to open to see it, outermost first. */
  readonly path: readonly string[];
  /** Pods: "GPU 3, 500m", "pending: <reason>". */
  readonly detail?: string;
}
