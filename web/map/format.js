/* global document, Node -- a browser module */
// Small text helpers shared by the map's renderers.

const SHORT_LEVELS = {
  'topology.kubernetes.io/zone': 'zone',
  'network.topology.nvidia.com/leaf': 'rack',
  'nvidia.com/gpu.clique': 'clique',
  node: 'node',
};

/** "zone", "rack", "clique" for the default levels; the key's last segment otherwise. */
export function shortLevel(level) {
  return SHORT_LEVELS[level] ?? level.slice(level.lastIndexOf('/') + 1);
}

export function gpus(milli) {
  const whole = Math.trunc(milli / 1000);
  const rest = milli % 1000;
  return rest === 0 ? String(whole) : (milli / 1000).toFixed(2).replace(/0+$/, '');
}

export function bytes(n) {
  if (n <= 0) return '';
  const gib = n / 1024 ** 3;
  return gib >= 1 ? `${+gib.toFixed(1)} GiB` : `${Math.round(n / 1024 ** 2)} MiB`;
}

/** A stable colour per gang key, so a gang keeps its outline colour across refreshes. */
export function gangColour(key) {
  let h = 2166136261;
  for (const c of key) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  // Golden-angle steps spread neighbouring hashes around the colour wheel.
  return `hsl(${Math.round((h % 1000) * 137.508) % 360} 75% 42%)`;
}

/** The pod's short name inside a device cell: its name without the namespace. */
export function podName(holder) {
  return holder.includes('/') && !holder.startsWith('gang ') ? holder.slice(holder.indexOf('/') + 1) : holder;
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'style') node.style.cssText = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}
