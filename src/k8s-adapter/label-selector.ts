// Label selectors as the API defines them: matchLabels and matchExpressions
// ANDed; an empty selector matches everything, an absent one is the caller's call.
import type { LabelSelector } from './cluster-state.js';

export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>> | undefined): boolean {
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (l[k] !== v) return false;
  for (const req of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(l, req.key);
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
        if (!has || !values.includes(l[req.key])) return false;
        break;
      case 'NotIn':
        if (has && values.includes(l[req.key])) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        // An unknown operator selects nothing (the API server would have refused it).
        return false;
    }
  }
  return true;
}

/** A problem with a selector, or null: the compiler reports and skips bad policies. */
export function selectorProblem(selector: LabelSelector | undefined, path: string): string | null {
  if (!selector) return null;
  for (const [i, req] of (selector.matchExpressions ?? []).entries()) {
    if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(req.operator)) return `${path}.matchExpressions[${i}].operator: unknown operator "${req.operator}"`;
    if ((req.operator === 'In' || req.operator === 'NotIn') && !(req.values ?? []).length) return `${path}.matchExpressions[${i}].values: ${req.operator} needs values`;
  }
  return null;
}
