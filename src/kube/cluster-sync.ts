// Keeps ClusterState true to the API server: node and pod events in, ledger and topology changes out.
// Nothing here knows client-node; handlers take PodShape/NodeShape so tests drive event sequences.
// Until both first lists have arrived the facts are only recorded; then every pod is accounted in the
// restart order, by the one rule in core/ledger/pod-facts.ts (rebuildLedger uses it too).
import type { ClusterState } from '../core/cluster-state.js';
import { inventoryEquals, nodeInventory } from '../core/inventory.js';
import type { NodeShape, PodShape } from '../core/kube-shapes.js';
import type { Holding } from '../core/ledger/gpu-ledger.js';
import type { NodeInventory } from '../core/types.js';
import type { InformerHandlers } from './informer.js';
import type { KubeLogger } from './kube-logger.js';
import { NodeIndex } from './node-index.js';
import { PodIndex, podKey } from './pod-index.js';
import {
  applyFact,
  inRestartOrder,
  isTerminal,
  podFact,
  sameFact,
  type FactOutcome,
  type PodFact,
} from '../core/ledger/pod-facts.js';

/** A bound pod whose GPU use could not be applied to the ledger, with the reason. */
export interface RejectedPodFact {
  readonly pod: string;
  readonly uid: string;
  readonly node: string;
  readonly reason: string;
}

export interface ClusterSyncHooks {
  onRejectedFact?(fact: RejectedPodFact): void;
  onRejectedNode?(node: string, reason: string): void;
  onAccounted?(summary: { readonly nodes: number; readonly pods: number; readonly rejected: number }): void;
  /** After the ledger and the indexes took in a pod event (gang gates and plans follow pods). */
  onPodChanged?(pod: PodShape): void;
  onPodDeleted?(pod: PodShape): void;
  /** Every node event as it arrives, before the ledger's own change check (status writers see all). */
  onNodeSeen?(node: NodeShape): void;
  onNodeDeleted?(name: string): void;
  /**
   * Pods whose GPUs the ledger must not count (GPU reservation pods: their device is counted through
   * the shares on it). Such pods still reach the indexes and the pod hooks.
   */
  gpusCountedElsewhere?(pod: PodShape): boolean;
}

interface PodEntry {
  readonly uid: string;
  readonly key: string;
  fact: PodFact;
  /** Creation time then key: the order pods are accounted in, so restarts pick the same devices. */
  readonly order: string;
}

export class ClusterSync {
  readonly pods: PodIndex;
  readonly nodes: NodeIndex;
  readonly #state: ClusterState;
  readonly #logger: KubeLogger;
  readonly #hooks: ClusterSyncHooks;
  readonly #entries = new Map<string, PodEntry>();
  /** Holdings kept from deleted nodes until they return (see #deleteNode). */
  readonly #heldOnGone = new Map<string, Holding[]>();

  readonly #onNode = new Map<string, Set<string>>();
  #nodesListed = false;
  #podsListed = false;
  #accounted = false;
  #rejectedCount = 0;

  /** `indexes`: the pod and node indexes this sync keeps current; their readers may be built first. */
  constructor(
    state: ClusterState,
    logger: KubeLogger,
    hooks: ClusterSyncHooks = {},
    indexes: { readonly pods?: PodIndex; readonly nodes?: NodeIndex } = {},
  ) {
    this.pods = indexes.pods ?? new PodIndex();
    this.nodes = indexes.nodes ?? new NodeIndex();
    this.#state = state;
    this.#logger = logger;
    this.#hooks = hooks;
  }

  /** True once both first lists were applied and every bound pod was accounted. */
  isAccounted(): boolean {
    return this.#accounted;
  }

  rejectedCount(): number {
    return this.#rejectedCount;
  }

  readonly nodeHandlers: InformerHandlers<NodeShape> = {
    onInitialList: (nodes) => {
      for (const node of nodes) this.#upsertNode(node);
      this.#nodesListed = true;
      this.#accountAllIfReady();
      for (const node of nodes) this.#hooks.onNodeSeen?.(node);
    },
    onAdd: (node) => {
      this.#upsertNode(node);
      this.#hooks.onNodeSeen?.(node);
    },
    onUpdate: (node) => {
      this.#upsertNode(node);
      this.#hooks.onNodeSeen?.(node);
    },
    onDelete: (node) => {
      this.nodes.remove(node.metadata?.name ?? '');
      this.#deleteNode(node.metadata?.name ?? '');
      this.#hooks.onNodeDeleted?.(node.metadata?.name ?? '');
    },
  };

  readonly podHandlers: InformerHandlers<PodShape> = {
    onInitialList: (pods) => {
      for (const pod of pods) this.#record(pod);
      this.#podsListed = true;
      this.#accountAllIfReady();
      for (const pod of pods) this.#hooks.onPodChanged?.(pod);
    },
    onAdd: (pod) => {
      this.#podChanged(pod);
      this.#hooks.onPodChanged?.(pod);
    },
    onUpdate: (pod, old) => {
      if (old.metadata?.uid !== pod.metadata?.uid) {
        this.#podDeleted(old);
        this.#hooks.onPodDeleted?.(old);
      }
      this.#podChanged(pod);
      this.#hooks.onPodChanged?.(pod);
    },
    onDelete: (pod) => {
      this.#podDeleted(pod);
      this.#hooks.onPodDeleted?.(pod);
    },
  };

  #upsertNode(node: NodeShape): void {
    this.nodes.upsert(node);
    const name = node.metadata?.name ?? '';
    let inventory: NodeInventory;
    try {
      inventory = nodeInventory(node);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      this.#logger.error(
        { node: name, reason },
        'node inventory rejected; keeping the previous view of the node',
      );
      this.#hooks.onRejectedNode?.(name, reason);
      return;
    }
    const known = this.#state.inventory(name);
    if (known !== undefined && inventoryEquals(known, inventory)) return;
    const noLongerFit = this.#state.applyNode(inventory);
    if (known === undefined) this.#restoreHeld(name);
    if (known !== undefined)
      this.#logger.info({ node: name, devices: inventory.devices.length }, 'node changed');
    if (!this.#accounted) return;
    for (const uid of noLongerFit) {
      const entry = this.#entries.get(uid);
      // Pods placed by others: pick their devices again on the new inventory.
      if (entry?.fact.kind === 'external') this.#state.release(uid);
      else if (entry !== undefined) this.#reject(entry, name, `no longer fits after node ${name} changed`);
    }
    this.#accountNode(name);
  }

  #deleteNode(name: string): void {
    // Commitments the pod watch cannot restore: binds of this replica whose pods it has not seen bound
    // yet. They come back with the node, so its devices are never handed out twice. (Reservations are
    // plans: their owners notice the loss and plan again.)
    const unseen = this.#state.ledger
      .committed()
      .filter((h) => h.assignment.node === name && this.#entries.get(h.uid)?.fact.kind !== 'annotated');
    const uids = this.#state.deleteNode(name);
    if (unseen.length > 0) this.#heldOnGone.set(name, unseen);
    if (uids.length > 0)
      this.#logger.warn({ node: name, pods: uids.length }, 'node deleted while pods held GPUs on it');
  }

  /** Gives back, on a node that returned, the holdings #deleteNode kept (pods deleted since are dropped). */
  #restoreHeld(name: string): void {
    const held = this.#heldOnGone.get(name);
    this.#heldOnGone.delete(name);
    for (const h of held ?? []) {
      if (this.#state.holding(h.uid) !== undefined) continue;
      const result = this.#state.commit(h.uid, h.assignment);
      if (!result.ok) {
        this.#logger.error({ node: name, uid: h.uid, reason: result.reason }, 'holding lost with its node');
      }
    }
  }

  /** Applies every fact on the node that the ledger does not hold yet (node came back, or changed). */
  #accountNode(name: string): void {
    for (const uid of this.#onNode.get(name) ?? []) {
      const entry = this.#entries.get(uid);
      if (entry !== undefined && this.#state.holding(uid) === undefined) this.#apply(entry);
    }
  }

  #accountAllIfReady(): void {
    if (this.#accounted || !this.#nodesListed || !this.#podsListed) return;
    const entries = [...this.#entries.values()].sort((a, b) =>
      a.order < b.order ? -1 : a.order > b.order ? 1 : 0,
    );
    for (const e of inRestartOrder(entries)) this.#apply(e);
    this.#accounted = true;
    const summary = {
      nodes: [...this.#state.nodes()].length,
      pods: this.#entries.size,
      rejected: this.#rejectedCount,
    };
    this.#logger.info(summary, 'ledger rebuilt from bound pods');
    this.#hooks.onAccounted?.(summary);
  }

  /** Records the pod and its fact; returns the entry and the fact it had before. */
  #record(pod: PodShape): { entry: PodEntry; previous: PodFact | undefined } {
    const uid = pod.metadata?.uid ?? '';
    const key = podKey(pod.metadata?.namespace, pod.metadata?.name);
    this.pods.upsert(pod);
    const outcome = this.#hooks.gpusCountedElsewhere?.(pod) === true ? NOT_COUNTED : podFact(pod);
    let entry = this.#entries.get(uid);
    const previous = entry?.fact;
    if (entry === undefined) {
      entry = {
        uid,
        key,
        fact: outcome.fact,
        order: `${String(pod.metadata?.creationTimestamp ?? '')}|${key}`,
      };
      this.#entries.set(uid, entry);
    }
    entry.fact = outcome.fact;
    if (previous !== undefined && 'node' in previous) this.#onNode.get(previous.node)?.delete(uid);
    if ('node' in outcome.fact) {
      let set = this.#onNode.get(outcome.fact.node);
      if (set === undefined) this.#onNode.set(outcome.fact.node, (set = new Set()));
      set.add(uid);
    }
    const changed = previous === undefined || !sameFact(previous, outcome.fact);
    if (changed && outcome.problem !== undefined && 'node' in outcome.fact) {
      this.#reject(
        entry,
        outcome.fact.node,
        `${outcome.problem}; counted as ${wholeOf(outcome.fact)} whole GPU(s)`,
      );
    }
    return { entry, previous };
  }

  #podChanged(pod: PodShape): void {
    const { entry, previous } = this.#record(pod);
    if (!this.#accounted) return;
    if (isTerminal(pod)) {
      this.#state.release(entry.uid);
      return;
    }
    // Unchanged facts that failed are retried when their node changes, not on every pod update.
    if (previous !== undefined && sameFact(previous, entry.fact)) return;
    // A pending pod may hold a reservation made by bind: only a changed bound fact drops the old one.
    if (previous !== undefined && previous.kind !== 'none') this.#state.release(entry.uid);
    this.#apply(entry);
  }

  #podDeleted(pod: PodShape): void {
    const uid = pod.metadata?.uid ?? '';
    for (const [node, held] of this.#heldOnGone) {
      const kept = held.filter((h) => h.uid !== uid);
      if (kept.length > 0) this.#heldOnGone.set(node, kept);
      else this.#heldOnGone.delete(node);
    }
    this.pods.remove(pod);
    const entry = this.#entries.get(uid);
    this.#entries.delete(uid);
    if (entry !== undefined && 'node' in entry.fact) this.#onNode.get(entry.fact.node)?.delete(uid);
    if (this.#state.release(uid))
      this.#logger.debug({ pod: podKey(pod.metadata?.namespace, pod.metadata?.name) }, 'released');
  }

  #apply(entry: PodEntry): void {
    const result = applyFact(this.#state, entry.uid, entry.fact);
    if (!result.ok) {
      this.#reject(entry, result.node, result.reason);
      return;
    }
    if (result.picked !== undefined && entry.fact.kind === 'external') {
      this.#logger.info(
        { pod: entry.key, node: entry.fact.node, gpus: entry.fact.count },
        'counted GPUs of a pod placed by another scheduler',
      );
    }
  }

  #reject(entry: PodEntry, node: string, reason: string): void {
    this.#rejectedCount += 1;
    const fact: RejectedPodFact = { pod: entry.key, uid: entry.uid, node, reason };
    this.#logger.error(fact, 'bound pod GPU use not applied to the ledger');
    this.#hooks.onRejectedFact?.(fact);
  }
}

const NOT_COUNTED: FactOutcome = Object.freeze({ fact: Object.freeze({ kind: 'none' }) });

function wholeOf(fact: PodFact): number {
  return fact.kind === 'external' ? fact.count : 0;
}
