/* global document, window, sessionStorage, fetch, EventSource, CSS, setInterval, setTimeout, clearTimeout -- a browser module */
// The occupancy map page: fetches the view with the domains the reader opened, redraws when the
// server says the map changed (server-sent events; polling if the stream is unavailable), and
// searches pods, gangs and nodes. Plain ES modules, no build step, nothing from outside the cluster.
import { el } from './format.js';
import { domainSection, gangItem, pendingItem, reservationItem, totalsLine } from './render.js';

const POLL_MS = 5000;
const SEARCH_DELAY_MS = 200;

/** The server takes at most 64 domain ids per view (MAX_OPEN_IDS): the oldest opened close first. */
const MAX_OPEN = 64;

function restoreOpen() {
  try {
    const ids = JSON.parse(sessionStorage.getItem('phalanx-map-open') ?? '[]');
    return new Set(Array.isArray(ids) ? ids.filter((id) => typeof id === 'string').slice(-MAX_OPEN) : []);
  } catch {
    return new Set();
  }
}

const open = restoreOpen();
let shownVersion;
let announcedVersion;
let loading;
let again = false;

const $ = (id) => document.getElementById(id);

function remember() {
  for (const id of open) {
    if (open.size <= MAX_OPEN) break;
    open.delete(id);
  }
  sessionStorage.setItem('phalanx-map-open', JSON.stringify([...open]));
}

function toggle(id, wantOpen) {
  if (wantOpen) open.add(id);
  else for (const o of [...open]) if (o === id || o.startsWith(`${id}/`)) open.delete(o);
  remember();
  void load();
}

function highlightGang(key, on) {
  for (const n of document.querySelectorAll('[data-gangs]')) {
    if (n.dataset.gangs.split(' ').includes(key)) n.classList.toggle('highlight', on);
  }
}

function draw(view) {
  $('totals').replaceChildren(totalsLine(view));
  const fabric = $('fabric');
  const scroll = window.scrollY;
  fabric.replaceChildren(
    ...view.domains.map((d) => domainSection(d, toggle)),
    ...(view.closedForSize.length > 0
      ? [
          el(
            'p',
            { class: 'note' },
            `${view.closedForSize.length} domains left closed: one view details at most ${view.maxDetailNodes} nodes`,
          ),
        ]
      : []),
  );
  window.scrollTo(0, scroll);
  $('gangs').replaceChildren(
    ...(view.gangs.length
      ? view.gangs.map((g) => gangItem(g, highlightGang))
      : [el('li', { class: 'none' }, 'none')]),
  );
  $('reservations').replaceChildren(
    ...(view.reservations.length
      ? view.reservations.map(reservationItem)
      : [el('li', { class: 'none' }, 'none')]),
  );
  const more =
    view.pendingTotal > view.pending.length
      ? [el('li', { class: 'none' }, `and ${view.pendingTotal - view.pending.length} more`)]
      : [];
  $('pending').replaceChildren(
    ...(view.pending.length ? view.pending.map(pendingItem) : [el('li', { class: 'none' }, 'none')]),
    ...more,
  );
  document.body.dataset.version = view.version;
  shownVersion = view.version;
  // The server rebuilds at most once a second: an answer older than the last event is asked again.
  if (announcedVersion !== undefined && announcedVersion !== view.version)
    setTimeout(() => void load(), 1100);
}

/** One fetch at a time; a change that arrives meanwhile triggers one more. */
async function load() {
  if (loading) {
    again = true;
    return loading;
  }
  loading = (async () => {
    try {
      const query = open.size > 0 ? `?open=${encodeURIComponent([...open].join(','))}` : '';
      const res = await fetch(`api/view${query}`, { cache: 'no-store' });
      if (!res.ok) throw new Error(`${res.status} ${(await res.json()).error ?? ''}`);
      draw(await res.json());
      $('live').classList.remove('error');
    } catch (err) {
      $('live').textContent = `error: ${err.message}`;
      $('live').classList.add('error');
    }
  })();
  await loading;
  loading = undefined;
  if (again) {
    again = false;
    await load();
  }
}

function live() {
  if (!('EventSource' in window)) return poll();
  const events = new EventSource('api/events');
  events.addEventListener('version', (e) => {
    $('live').textContent = 'live';
    announcedVersion = JSON.parse(e.data);
    if (announcedVersion !== shownVersion) void load();
  });
  events.onerror = () => {
    $('live').textContent = 'reconnecting…';
  };
}

function poll() {
  $('live').textContent = `polling every ${POLL_MS / 1000} s`;
  setInterval(() => void load(), POLL_MS);
}

async function reveal(hit) {
  for (const id of hit.path) open.add(id);
  remember();
  $('hits').hidden = true;
  await load();
  const selector =
    hit.kind === 'pod'
      ? `.share[data-pod="${CSS.escape(hit.label)}"]`
      : hit.kind === 'node'
        ? `[data-node="${CSS.escape(hit.label)}"]`
        : hit.kind === 'gang'
          ? `[data-gang="${CSS.escape(hit.label)}"]`
          : `[data-domain="${CSS.escape(hit.path.at(-1) ?? '')}"]`;
  const target =
    document.querySelector(selector) ?? document.querySelector(`[data-pending="${CSS.escape(hit.label)}"]`);
  if (target) {
    target.scrollIntoView({ block: 'center' });
    target.classList.add('found');
    setTimeout(() => target.classList.remove('found'), 2500);
  }
}

function search() {
  let timer;
  const input = $('search');
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const q = input.value.trim();
      if (q === '') {
        $('hits').hidden = true;
        return;
      }
      const res = await fetch(`api/search?q=${encodeURIComponent(q)}`, { cache: 'no-store' });
      const { hits } = res.ok ? await res.json() : { hits: [] };
      $('hits').replaceChildren(
        ...(hits.length
          ? hits.map((h) =>
              el(
                'li',
                { onclick: () => void reveal(h), 'data-hit': h.label },
                el('b', {}, h.kind),
                ` ${h.label}`,
                h.node && h.kind === 'pod' ? ` on ${h.node}` : '',
                h.detail ? el('span', { class: 'small' }, ` ${h.detail}`) : undefined,
              ),
            )
          : [el('li', { class: 'none' }, 'no match')]),
      );
      $('hits').hidden = false;
    }, SEARCH_DELAY_MS);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') $('hits').querySelector('li[data-hit]')?.click();
    if (e.key === 'Escape') $('hits').hidden = true;
  });
}

search();
void load().then(live);
