// Structural limits on an object before the engine reads it: a last resort, far beyond anything
// the API server would accept, so a valid object is always judged and never refused for its
// size. Judging is linear (or n·log n) in the object; these only keep an object that no real
// request could carry (a hand-made review sent straight to port 8443, a generated manifest)
// from being walked at all, and keep nesting from reaching any recursion, ours or a library's.
import { StagewallError } from '../errors.js';

/**
 * Containers (mappings and lists) nested on one path, the object itself being level 1. A real
 * Pod or CronJob is under 30 levels deep; nothing the engine reads is deeper than 8.
 */
export const MAX_DEPTH = 100;

/**
 * Items of one list, entries of one mapping, and both summed over the whole object. The API
 * server refuses a request body over 3 MiB, and every item takes at least 2 bytes on the wire
 * (`0,` in JSON, a tag and a length in protobuf), so no accepted object holds more than
 * 3 MiB / 2 = 1,572,864: not rules, peers, excepts, requirements, values nor labels.
 */
export const MAX_ITEMS = (3 * 2 ** 20) / 2;

/** How much of a path a message shows: its first and last segments, each cut to a length. */
const PATH_HEAD = 10;
const PATH_TAIL = 3;
const SEGMENT_LENGTH = 40;

const PLAIN_KEY = /^[A-Za-z0-9_./-]*$/;

function segment(key: string | number, first: boolean): string {
  if (typeof key === 'number') return `[${key}]`;
  const text = key.length > SEGMENT_LENGTH ? `${key.slice(0, SEGMENT_LENGTH)}…` : key;
  if (PLAIN_KEY.test(text) && text !== '') return first ? text : `.${text}`;
  return `[${JSON.stringify(text)}]`;
}

/** `root.spec.ingress[0]…`, with the middle of a long path left out. */
export function formatPath(root: string, keys: readonly (string | number)[]): string {
  const shown =
    keys.length <= PATH_HEAD + PATH_TAIL
      ? keys.map((k) => segment(k, false))
      : [
          ...keys.slice(0, PATH_HEAD).map((k) => segment(k, false)),
          `.… (${keys.length - PATH_HEAD - PATH_TAIL} more)`,
          ...keys.slice(-PATH_TAIL).map((k) => segment(k, false)),
        ];
  const text = `${root}${shown.join('')}`;
  return text.startsWith('.') ? text.slice(1) : text;
}

const count = (n: number) => n.toLocaleString('en-US');

/**
 * Refuses an object nested deeper than MAX_DEPTH, or holding more than MAX_ITEMS items in one
 * list or mapping or in all, with a StagewallError that names the field (under `root`, e.g.
 * `object`) and the limit. Iterative: no recursion however deep the object. Shared values (YAML
 * aliases) are walked at each place they appear, so the total also bounds an alias bomb, and a
 * cycle is refused as too deep.
 *
 * On the hot path (every admission) it is one pass over a reused flat stack that allocates
 * nothing per value; only when that pass finds an object beyond a limit does a second pass
 * track keys, to name the field.
 */
export function checkStructure(value: unknown, root: string): void {
  if (typeof value !== 'object' || value === null) return;
  if (withinLimits(value)) return;
  describeExcess(value, root);
}

const stackValues: object[] = [];
const stackDepths: number[] = [];

/** The fast pass: true when the object is within every limit. */
function withinLimits(value: object): boolean {
  // Module-level buffers, emptied before returning: the engine is synchronous, never re-entered.
  const values = stackValues;
  const depths = stackDepths;
  let top = 1;
  let total = 0;
  values[0] = value;
  depths[0] = 1;
  try {
    while (top > 0) {
      top -= 1;
      const container = values[top]!;
      const depth = depths[top]!;
      let items = 0;
      if (Array.isArray(container)) {
        items = container.length;
        if (items > MAX_ITEMS) return false;
        for (let i = 0; i < items; i += 1) {
          const child: unknown = container[i];
          if (typeof child !== 'object' || child === null) continue;
          if (depth >= MAX_DEPTH) return false;
          values[top] = child;
          depths[top] = depth + 1;
          top += 1;
        }
      } else {
        for (const key in container) {
          items += 1;
          const child: unknown = (container as Record<string, unknown>)[key];
          if (typeof child !== 'object' || child === null) continue;
          if (depth >= MAX_DEPTH) return false;
          values[top] = child;
          depths[top] = depth + 1;
          top += 1;
        }
        if (items > MAX_ITEMS) return false;
      }
      total += items;
      if (total > MAX_ITEMS) return false;
    }
    return true;
  } finally {
    values.length = 0;
    depths.length = 0;
  }
}

/** The slow pass, off the hot path: walks with the keys of the path, and throws naming the field. */
function describeExcess(value: object, root: string): void {
  const containers: object[] = [];
  const keyLists: (string[] | undefined)[] = [];
  const positions: number[] = [];
  let total = 0;

  const path = (extra?: string | number): string => {
    const keys: (string | number)[] = [];
    for (let d = 0; d < containers.length; d += 1) {
      if (d === 0) continue;
      const index = positions[d - 1]! - 1;
      const parentKeys = keyLists[d - 1];
      keys.push(parentKeys ? parentKeys[index]! : index);
    }
    if (extra !== undefined) keys.push(extra);
    return formatPath(root, keys);
  };

  const enter = (container: object, key: string | number | undefined): void => {
    if (containers.length >= MAX_DEPTH) {
      throw new StagewallError(
        'OBJECT_TOO_DEEP',
        `${path(key)} is nested more than ${MAX_DEPTH} levels deep, the limit (a real object is under 30): no object the API server accepts needs that`,
      );
    }
    const keys = Array.isArray(container) ? undefined : Object.keys(container);
    const items = keys ? keys.length : (container as unknown[]).length;
    containers.push(container);
    keyLists.push(keys);
    positions.push(0);
    if (items > MAX_ITEMS) {
      throw new StagewallError(
        'OBJECT_TOO_LARGE',
        `${path()} has ${count(items)} ${keys ? 'entries' : 'items'}, over the limit of ${count(MAX_ITEMS)} (more than a 3 MiB request can hold)`,
      );
    }
    total += items;
    if (total > MAX_ITEMS) {
      throw new StagewallError(
        'OBJECT_TOO_LARGE',
        `${root} holds more than ${count(MAX_ITEMS)} values in all, the limit (more than a 3 MiB request can hold); the limit was passed at ${path()}`,
      );
    }
  };

  enter(value, undefined);
  while (containers.length > 0) {
    const top = containers.length - 1;
    const container = containers[top] as Record<string, unknown> & unknown[];
    const keys = keyLists[top];
    const i = positions[top]!;
    const length = keys ? keys.length : container.length;
    if (i >= length) {
      containers.pop();
      keyLists.pop();
      positions.pop();
      continue;
    }
    positions[top] = i + 1;
    const key = keys ? keys[i]! : i;
    const child: unknown = container[key as never];
    if (typeof child === 'object' && child !== null) enter(child, key);
  }
}
