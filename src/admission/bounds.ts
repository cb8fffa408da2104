// How much of one decision goes into one answer. An object can break thousands of rules (a policy
// of 2,000 open rules); the answer, the audit annotation and the log must not grow with it. The
// first violations are reported one by one and the rest as one "… and N more" entry; the
// metrics still count every violation.

/** Violations reported one by one, per request, in each of: warnings, the denial message, the audit annotation, the audit log. */
export const MAX_REPORTED_VIOLATIONS = 20;

/** The API server keeps 4 KiB (in characters) of a response's warnings and truncates, then drops, the rest: stay within it, summary included. */
export const MAX_WARNINGS_LENGTH = 4 * 1024;

/** The denial message (status.message) in UTF-8 bytes, summary included: kubectl prints all of it. */
export const MAX_DENIAL_MESSAGE_BYTES = 8 * 1024;

/**
 * The audit annotation's value in UTF-8 bytes, summary included. It is copied into the API
 * server's audit event, whose backends truncate or drop events past about 100 KiB; the object's
 * own annotations are limited to 256 KiB in all.
 */
export const MAX_AUDIT_ANNOTATION_BYTES = 16 * 1024;

/** The summary entry ("… and N more violations (rules: …)"), in characters. */
export const MAX_SUMMARY_LENGTH = 256;

/** Violations left out of a list: how many, and which rules they come from. */
export interface Omitted {
  readonly count: number;
  readonly rules: readonly string[];
}

/** How many items, and from which rules, from index `from` on. */
export function omittedFrom(items: readonly { readonly rule: string }[], from: number): Omitted {
  const rules = new Set<string>();
  for (let i = from; i < items.length; i += 1) rules.add((items[i] as { rule: string }).rule);
  return { count: Math.max(0, items.length - from), rules: [...rules] };
}

/** "… and N more violations (rules: a, b)", at most MAX_SUMMARY_LENGTH characters. */
export function moreViolations(omitted: Omitted): string {
  const text = `… and ${omitted.count} more violation${omitted.count === 1 ? '' : 's'} (rules: ${omitted.rules.join(', ')})`;
  return text.length <= MAX_SUMMARY_LENGTH ? text : `${text.slice(0, MAX_SUMMARY_LENGTH - 2)}…)`;
}

const encoder = new TextEncoder();

/** Text cut to at most `maxBytes` of UTF-8, never inside a character, marked with "…" when cut. */
export function clipUtf8(text: string, maxBytes: number): string {
  // Three bytes at most per UTF-16 unit: short text needs no counting.
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text) <= maxBytes) return text;
  const room = Math.max(0, maxBytes - 3); // "…" is 3 bytes
  const { read } = encoder.encodeInto(text, new Uint8Array(room));
  return `${text.slice(0, read)}…`;
}

/** Text cut to at most `max` characters (UTF-16 units), marked with "…" when cut. */
export function clipChars(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

export interface ListBounds<T> {
  /** An item's entry. */
  readonly render: (item: T) => string;
  /** An entry's size as the budget counts it (characters or bytes). */
  readonly size: (text: string) => number;
  /** A cheap upper bound of `size` (UTF-8 bytes: 3 per UTF-16 unit), so short lists need no counting. */
  readonly sizeAtMost: (text: string) => number;
  /** The budget for all entries, the summary and the separators. */
  readonly budget: number;
  /** The size of the separator between two entries (0 for separate strings). */
  readonly separator: number;
  /** An item's entry cut to at most `room`: only for a first item too large to show whole. */
  readonly cut: (item: T, room: number) => string;
  /** The summary entry of the items left out. */
  readonly summary: (omitted: Omitted) => string;
}

// No closures in boundedEntries: one capturing its counters made every call ten times slower.
function exactSizes(entries: readonly string[], size: (text: string) => number, separator: number): number[] {
  return entries.map((text, i) => size(text) + (i > 0 ? separator : 0));
}

function total(sizes: readonly number[]): number {
  let sum = 0;
  for (const n of sizes) sum += n;
  return sum;
}

/**
 * The entries of the first items, at most MAX_REPORTED_VIOLATIONS and within the budget, and a
 * summary entry for the rest, if any. A first item too large for the budget is cut rather than
 * dropped, so the list says something specific whenever there is something to say.
 */
export function boundedEntries<T extends { readonly rule: string }>(items: readonly T[], bounds: ListBounds<T>): string[] {
  const { render, size, sizeAtMost, budget, separator, cut, summary } = bounds;
  const shown: string[] = [];
  // Counted with the cheap upper bound while everything fits by it; exactly from the first entry
  // that does not (and then for every entry shown so far).
  let sizes: number[] | undefined;
  let used = 0;
  for (let i = 0; i < items.length && i < MAX_REPORTED_VIOLATIONS; i += 1) {
    const text = render(items[i] as T);
    const gap = i > 0 ? separator : 0;
    if (!sizes && used + sizeAtMost(text) + gap <= budget) {
      shown.push(text);
      used += sizeAtMost(text) + gap;
      continue;
    }
    if (!sizes) {
      sizes = exactSizes(shown, size, separator);
      used = total(sizes);
    }
    const counted = sizes;
    const cost = size(text) + gap;
    if (used + cost <= budget) {
      shown.push(text);
      counted.push(cost);
      used += cost;
      continue;
    }
    if (i === 0) {
      const rest = items.length > 1 ? size(summary(omittedFrom(items, 1))) + separator : 0;
      const first = cut(items[0] as T, budget - rest);
      shown.push(first);
      counted.push(size(first));
      used = size(first);
    }
    break;
  }
  if (shown.length === items.length) return shown;
  // Make room for the summary, giving back the last entries if it does not fit beside them.
  if (!sizes) {
    sizes = exactSizes(shown, size, separator);
    used = total(sizes);
  }
  const counted = sizes;
  let count = items.length - shown.length;
  const rules = new Set<string>();
  for (let i = shown.length; i < items.length; i += 1) rules.add((items[i] as T).rule);
  let text = summary({ count, rules: [...rules] });
  while (shown.length > 0 && used + size(text) + separator > budget) {
    shown.pop();
    used -= counted.pop() as number;
    count += 1;
    rules.add((items[shown.length] as T).rule);
    text = summary({ count, rules: [...rules] });
  }
  shown.push(text);
  return shown;
}
