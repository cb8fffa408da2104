// Compact, stable renderings of Kubernetes objects for messages: identical in the CLI and the
// webhook because both call these.
import type { LabelSelector } from './types.js';

/** `app=x,tier in (a,b),!gone`: the kubectl-style rendering of a selector; `{}` for the empty one. */
export function formatSelector(selector: LabelSelector | undefined): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(selector?.matchLabels ?? {})) parts.push(`${k}=${v}`);
  for (const e of selector?.matchExpressions ?? []) {
    const values = (e.values ?? []).join(',');
    switch (e.operator) {
      case 'In':
        parts.push(`${e.key} in (${values})`);
        break;
      case 'NotIn':
        parts.push(`${e.key} notin (${values})`);
        break;
      case 'Exists':
        parts.push(e.key);
        break;
      case 'DoesNotExist':
        parts.push(`!${e.key}`);
        break;
      default:
        parts.push(`${e.key} ${e.operator} (${values})`);
    }
  }
  return parts.length === 0 ? '{}' : `{${parts.join(',')}}`;
}

export function joinList(items: readonly string[], empty = 'none'): string {
  return items.length === 0 ? empty : items.join(', ');
}
