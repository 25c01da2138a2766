// The map's search box: a pod, a gang, a node or a domain by (case-insensitive) substring, each hit
// with the domain path to open to see it. Bounded: at most `limit` hits, nodes and pods first.
import type { Fabric, FabricDomain } from './fabric-model.js';
import type { SearchHit } from './occupancy-types.js';
import { members } from './text-map.js';

export const MAX_QUERY_CHARS = 128;

function shareDetail(index: number, milli: number, whole: boolean, state: string): string {
  const share = whole ? 'whole' : `${milli}m`;
  return `GPU ${index}, ${share}${state === 'reserved' ? ', reserved' : ''}`;
}

export function searchFabric(fabric: Fabric, query: string, limit: number): SearchHit[] {
  const q = query.trim().toLowerCase();
  if (q === '') return [];
  const hits: SearchHit[] = [];
  const full = (): boolean => hits.length >= limit;
  const matches = (text: string): boolean => text.toLowerCase().includes(q);
  for (const name of fabric.nodeFigures.keys()) {
    const path = fabric.nodePaths.get(name) ?? [];
    if (matches(name)) hits.push({ kind: 'node', label: name, node: name, path });
    for (const [index, shares] of fabric.shares.get(name) ?? []) {
      for (const s of shares) {
        if (full()) return hits;
        if (matches(s.holder)) {
          hits.push({
            kind: 'pod',
            label: s.holder,
            node: name,
            path,
            detail: shareDetail(index, s.milli, s.whole, s.state),
          });
        }
      }
    }
    if (full()) return hits;
  }
  for (const gang of fabric.gangs) {
    if (full()) return hits;
    if (!matches(gang.key)) continue;
    const path = fabric.nodePaths.get(gang.nodes[0] ?? '') ?? [];
    hits.push({
      kind: 'gang',
      label: gang.key,
      path,
      detail: `${gang.phase} at ${gang.level} ${gang.domain}, ${members(gang.members.length)}`,
    });
  }
  for (const p of fabric.pending) {
    if (full()) return hits;
    if (matches(p.key)) hits.push({ kind: p.kind, label: p.key, path: [], detail: `pending: ${p.reason}` });
  }
  const visit = (d: FabricDomain, path: readonly string[]): void => {
    const here = [...path, d.id];
    if (!full() && matches(d.name)) hits.push({ kind: 'domain', label: `${d.level}=${d.name}`, path: here });
    for (const child of d.children) visit(child, here);
  };
  for (const d of fabric.domains) visit(d, []);
  return hits;
}
