// The map as text, for terminals and CI logs (`phalanx map`): the same view the page draws, one line
// per domain and node, one per used device, then gangs, reservations and what waits and why.
import { formatBytes } from '../quantity.js';
import type { DeviceCell, DomainCell, FabricFigures, NodeCell, OccupancyView } from './occupancy-types.js';

/** "1 member", "2 members". */
export function members(n: number): string {
  return `${n} member${n === 1 ? '' : 's'}`;
}

function figuresText(f: FabricFigures): string {
  const gangs = Object.entries(f.largestGangGpus)
    .map(([k, v]) => `${k}-GPU members ${v}`)
    .join(', ');
  return (
    `${f.nodes} nodes, ${f.gpus} GPUs, ${f.freeWhole} free whole, ${f.freeMilliPartial}m free in shared, ` +
    `fragment ${f.fragmentMilli}m; largest gang: ${gangs}`
  );
}

/** "0-2,5" for the indices of free devices. */
function ranges(indices: readonly number[]): string {
  const parts: string[] = [];
  let start: number | undefined;
  let prev: number | undefined;
  for (const i of [...indices, Number.NaN]) {
    if (prev !== undefined && i === prev + 1) {
      prev = i;
      continue;
    }
    if (start !== undefined) parts.push(start === prev ? `${start}` : `${start}-${prev}`);
    start = i;
    prev = i;
  }
  return parts.join(',');
}

function deviceLine(d: DeviceCell): string {
  const holders = d.shares.map((s) => {
    const what = s.whole
      ? 'whole'
      : `${s.milli}m${s.memoryBytes > 0 ? ` ${formatBytes(s.memoryBytes)}` : ''}`;
    const flags = [
      s.state === 'reserved' ? 'reserved' : '',
      s.atBarrier ? 'at barrier' : '',
      s.gang ? `gang ${s.gang}` : '',
    ]
      .filter((x) => x !== '')
      .join(', ');
    return `${s.holder} ${what}${flags ? ` (${flags})` : ''}`;
  });
  return `GPU ${d.index} ${d.mode} ${d.usedMilli}m: ${holders.join('; ')}`;
}

function nodeLines(n: NodeCell, indent: string): string[] {
  const free = n.devices.filter((d) => d.mode === 'free').map((d) => d.index);
  const head =
    `${indent}node ${n.name}${n.model ? ` [${n.model}]` : ''}${n.unschedulable ? ' (cordoned)' : ''}: ` +
    `${n.figures.gpus} GPUs, ${n.figures.freeWhole} free whole` +
    (free.length > 0 ? `, free: GPU ${ranges(free)}` : '') +
    (n.gangs.length > 0 ? `, gangs: ${n.gangs.join(', ')}` : '');
  const used = n.devices.filter((d) => d.mode !== 'free' || d.shares.length > 0);
  return [head, ...used.map((d) => `${indent}  ${deviceLine(d)}`)];
}

function domainLines(d: DomainCell, indent: string): string[] {
  const head = `${indent}${d.level}=${d.name}${d.open ? '' : ' [closed]'}: ${figuresText(d.figures)}`;
  const inner = indent + '  ';
  return [
    head,
    ...(d.children ?? []).flatMap((c) => domainLines(c, inner)),
    ...(d.nodes ?? []).flatMap((n) => nodeLines(n, inner)),
  ];
}

export function renderTextMap(view: OccupancyView): string {
  const lines = [
    `fabric: ${figuresText(view.totals)}`,
    `levels (outermost first): ${view.levels.join(' > ')}`,
  ];
  for (const d of view.domains) lines.push(...domainLines(d, ''));
  if (view.closedForSize.length > 0) {
    lines.push(
      `(${view.closedForSize.length} domains left closed: at most ${view.maxDetailNodes} nodes per answer)`,
    );
  }
  lines.push('', `gangs: ${view.gangs.length === 0 ? 'none' : ''}`);
  for (const g of view.gangs) {
    lines.push(
      `  ${g.key} ${g.phase} at ${g.level}=${g.domain}, ${members(g.members.length)} on ${g.nodes.join(', ')}`,
    );
  }
  lines.push(`reservations: ${view.reservations.length === 0 ? 'none' : ''}`);
  for (const r of view.reservations) {
    const when = r.atBarrier ? 'at the bind barrier' : `expires in ${Math.ceil(r.expiresInMs / 1000)} s`;
    lines.push(`  ${r.holder} on ${r.node} GPU ${r.devices.join(',')} ${r.milli}m, ${when}`);
  }
  lines.push(`pending: ${view.pendingTotal === 0 ? 'none' : view.pendingTotal}`);
  for (const p of view.pending) {
    const count =
      p.kind === 'gang' ? ` (${p.pendingMembers ?? 0}${p.size ? `/${p.size}` : ''} members pending)` : '';
    lines.push(`  ${p.kind} ${p.key}${count}: ${p.reason}`);
  }
  return lines.join('\n');
}
