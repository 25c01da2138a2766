// The read-only JSON view of the ledger served at /debug/ledger: per node, its devices and who holds
// what. Operators use it to check a decision; the e2e suite compares it with the API server.
import type { ClusterState } from '../core/cluster-state.js';

export function ledgerView(state: ClusterState): unknown {
  const nodes: Record<string, unknown> = {};
  for (const name of state.nodes()) {
    const node = state.nodeState(name);
    if (!node || node.devices.length === 0) continue;
    nodes[name] = node.devices.map((d) => ({
      index: d.index,
      mode: d.mode,
      usedMilli: d.usedMilli,
      usedMemoryBytes: d.usedMemoryBytes,
    }));
  }
  const holdings = [...state.ledger.committed(), ...state.ledger.reservations()].map((h) => ({
    uid: h.uid,
    state: h.state,
    node: h.assignment.node,
    devices: h.assignment.devices,
  }));
  return { totals: state.totals(), nodes, holdings };
}
