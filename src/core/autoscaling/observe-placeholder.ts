// A pod as a placeholder, or not: only pods in the placeholder namespace carrying the unit label
// count, so no workload elsewhere is mistaken for one (and deleted).
import type { PodShape } from '../kube-shapes.js';
import { PlaceholderAnnotation, PlaceholderLabel } from './placeholder-names.js';
import type { ObservedPlaceholder } from './placeholder-reconcile.js';

export function observePlaceholder(pod: PodShape, namespace: string): ObservedPlaceholder | undefined {
  const meta = pod.metadata;
  const unit = meta?.labels?.[PlaceholderLabel.unit];
  if (meta?.namespace !== namespace || unit === undefined || unit === '') return undefined;
  const kind = meta.labels?.[PlaceholderLabel.kind];
  const node = pod.spec?.nodeName;
  const phase = pod.status?.phase;
  const deleting = meta.deletionTimestamp !== undefined && meta.deletionTimestamp !== null;
  return {
    name: meta.name ?? '',
    uid: meta.uid ?? '',
    unit,
    kind: kind === 'gang' || kind === 'shares' ? kind : undefined,
    specHash: meta.annotations?.[PlaceholderAnnotation.spec],
    ...(node !== undefined && node !== '' ? { node } : {}),
    deleting,
    finished: phase === 'Failed' || phase === 'Succeeded',
  };
}
