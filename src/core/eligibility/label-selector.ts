// metav1.LabelSelector over pod labels (apimachinery LabelSelectorAsSelector): matchLabels and
// matchExpressions are ANDed; In/NotIn/Exists/DoesNotExist. A null selector matches nothing, an
// empty one everything; a malformed requirement makes the selector match nothing.
import type { LabelSelectorRequirementShape, LabelSelectorShape, StringMap } from '../kube-shapes.js';

function requirementMatches(req: LabelSelectorRequirementShape, labels: StringMap): boolean {
  const has = Object.hasOwn(labels, req.key);
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
      return values.length > 0 && has && values.includes(labels[req.key] ?? '');
    case 'NotIn':
      return values.length > 0 && (!has || !values.includes(labels[req.key] ?? ''));
    case 'Exists':
      return values.length === 0 && has;
    case 'DoesNotExist':
      return values.length === 0 && !has;
    default:
      return false;
  }
}

export function labelSelectorMatches(selector: LabelSelectorShape | undefined, labels: StringMap): boolean {
  if (selector === undefined) return false;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  return (selector.matchExpressions ?? []).every((req) => requirementMatches(req, labels));
}
