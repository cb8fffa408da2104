// JSON Patch for the mutating webhook: RFC 6902 operations with RFC 6901 pointers. The engine says
// what to change (engine/mutate.ts); this renders it against the object the API server sent.
import { mutations, type EngineContext, type KubeObject, type Mutation, type Review } from '../engine/index.js';

export type JsonPatchOperation =
  { readonly op: 'add' | 'replace'; readonly path: string; readonly value: unknown } | { readonly op: 'remove'; readonly path: string };

/** RFC 6901: `~` becomes `~0` and `/` becomes `~1` inside one reference token. */
export function escapePointerToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Entries set into a map of the object: the whole map added when it is missing (RFC 6902 needs the parent), else one add per key. */
function setMapEntries(
  current: Readonly<Record<string, string>> | undefined,
  pointer: string,
  entries: Readonly<Record<string, string>>,
): JsonPatchOperation[] {
  if (current === undefined) return [{ op: 'add', path: pointer, value: { ...entries } }];
  return Object.entries(entries).map(([k, v]) => ({ op: 'add', path: `${pointer}/${escapePointerToken(k)}`, value: v }));
}

/** The patch that applies `mutation` to `object`; empty when it changes nothing. */
export function renderPatch(object: KubeObject | undefined, mutation: Mutation): JsonPatchOperation[] {
  const patch: JsonPatchOperation[] = [];
  if (mutation.annotations) patch.push(...setMapEntries(object?.metadata?.annotations, '/metadata/annotations', mutation.annotations));
  if (mutation.labels) patch.push(...setMapEntries(object?.metadata?.labels, '/metadata/labels', mutation.labels));
  return patch;
}

/** The patch for one admission: the engine's mutations, rendered. Throws what `mutations` throws. */
export function mutationPatch(review: Review, ctx: EngineContext): JsonPatchOperation[] {
  return renderPatch(review.object, mutations(review, ctx));
}
