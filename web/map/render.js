// DOM for one view of the map (the JSON of /map/api/view): domains, nodes, devices with their
// shares or whole owner, gang outlines, and the side lists.
import { bytes, el, gangColour, gpus, podName, shortLevel } from './format.js';

function figuresLine(f) {
  const used = f.gpus === 0 ? 0 : f.usedMilli / (f.gpus * 1000);
  const largest = f.largestGangGpus;
  return el(
    'span',
    { class: 'figures' },
    el(
      'span',
      { class: 'bar', title: `${Math.round(used * 100)}% used` },
      el('span', { style: `width:${(used * 100).toFixed(1)}%` }),
    ),
    `${f.nodes} nodes · ${f.gpus} GPUs · `,
    el('b', { 'data-figure': 'free-whole' }, String(f.freeWhole)),
    ' free whole · ',
    `${gpus(f.freeMilliPartial)} GPU free in shared · fragment ${gpus(f.fragmentMilli)} GPU · `,
    el(
      'span',
      { title: 'largest gang that fits now (GPUs), 1-GPU / 8-GPU members' },
      `gang ≤ ${largest['1'] ?? 0} / ${largest['8'] ?? 0}`,
    ),
  );
}

function shareChip(s, device) {
  const title = `${s.holder}${s.whole ? ' (whole GPU)' : ` ${s.milli}m`}${s.memoryBytes > 0 ? ` ${bytes(s.memoryBytes)}` : ''}${
    s.gang ? ` · gang ${s.gang}` : ''
  }${s.state === 'reserved' ? ' · reserved' : ''}${s.atBarrier ? ' · at bind barrier' : ''}`;
  return el(
    'span',
    {
      class: `share ${s.state}${s.atBarrier ? ' barrier' : ''}`,
      'data-pod': s.holder,
      'data-device': device.index,
      'data-gang': s.gang,
      title,
      style: `flex-grow:${s.whole ? 1000 : s.milli};${s.gang ? `border-color:${gangColour(s.gang)}` : ''}`,
    },
    `${podName(s.holder)}${s.whole ? '' : ` ${s.milli}m`}`,
  );
}

function deviceCell(d) {
  const reserved = d.shares.some((s) => s.state === 'reserved');
  const free = 1000 - d.usedMilli;
  return el(
    'div',
    {
      class: `gpu ${d.mode}${reserved ? ' has-reserved' : ''}`,
      'data-index': d.index,
      title: `GPU ${d.index}: ${d.usedMilli}m used`,
    },
    el('span', { class: 'gpu-index' }, String(d.index)),
    el(
      'span',
      { class: 'shares' },
      d.shares.map((s) => shareChip(s, d)),
      d.mode === 'shared' && free > 0
        ? el('span', { class: 'share free-part', style: `flex-grow:${free}` }, '')
        : undefined,
    ),
  );
}

function nodeCard(n) {
  const outline = n.gangs.map((g, i) => `0 0 0 ${2 + i * 3}px ${gangColour(g)}`).join(',');
  return el(
    'article',
    {
      class: `node${n.unschedulable ? ' cordoned' : ''}${n.gangs.length > 0 ? ' in-gang' : ''}`,
      'data-node': n.name,
      'data-gangs': n.gangs.join(' '),
      style: outline ? `box-shadow:${outline}` : undefined,
    },
    el(
      'header',
      {},
      el('span', { class: 'node-name' }, n.name),
      n.model ? el('span', { class: 'model' }, n.model) : undefined,
      n.unschedulable ? el('span', { class: 'tag' }, 'cordoned') : undefined,
      el('span', { class: 'node-free' }, `${n.figures.freeWhole}/${n.figures.gpus} free`),
    ),
    el('div', { class: 'gpus' }, n.devices.map(deviceCell)),
  );
}

export function domainSection(d, onToggle) {
  const head = el(
    'button',
    { class: 'domain-head', 'aria-expanded': String(d.open), onclick: () => onToggle(d.id, !d.open) },
    el('span', { class: 'level' }, shortLevel(d.level)),
    el('span', { class: 'domain-name' }, d.name),
    figuresLine(d.figures),
  );
  const body = !d.open
    ? undefined
    : d.children
      ? el(
          'div',
          { class: 'children' },
          d.children.map((c) => domainSection(c, onToggle)),
        )
      : el('div', { class: 'nodes' }, (d.nodes ?? []).map(nodeCard));
  return el('section', { class: `domain level-${shortLevel(d.level)}`, 'data-domain': d.id }, head, body);
}

export function gangItem(g, onHover) {
  return el(
    'li',
    {
      class: `gang ${g.phase}`,
      'data-gang': g.key,
      style: `border-left-color:${gangColour(g.key)}`,
      onmouseenter: () => onHover(g.key, true),
      onmouseleave: () => onHover(g.key, false),
    },
    el('b', {}, g.key),
    ` ${g.phase} · ${shortLevel(g.level)} ${g.domain} · ${g.members.length} member${g.members.length === 1 ? '' : 's'}`,
    el(
      'div',
      { class: 'small' },
      g.members
        .map(
          (m) =>
            `${m.pod ? podName(m.pod) : '(open slot)'}→${m.node}${m.phase === 'bound' ? '' : ` (${m.phase})`}`,
        )
        .join(', '),
    ),
  );
}

export function reservationItem(r) {
  const when = r.atBarrier ? 'at the bind barrier' : `expires in ${Math.ceil(r.expiresInMs / 1000)} s`;
  return el(
    'li',
    { 'data-pod': r.holder },
    el('b', {}, r.holder),
    ` on ${r.node} GPU ${r.devices.join(',')} · ${gpus(r.milli)} GPU · ${when}`,
  );
}

export function pendingItem(p) {
  const count = p.kind === 'gang' ? ` (${p.pendingMembers}${p.size ? `/${p.size}` : ''} pending)` : '';
  return el(
    'li',
    { class: `pending ${p.kind}`, 'data-pending': p.key },
    el('b', {}, `${p.kind} ${p.key}`),
    count,
    el('div', { class: 'small reason' }, p.reason),
  );
}

export function totalsLine(view) {
  return figuresLine(view.totals);
}
