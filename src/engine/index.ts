// The engine's one entry for the fronts (admission, server, cluster, cli, manifests): what they
// may use, listed by name, so that the engine's modules can move and split behind it. Inside the
// engine, modules import each other directly. test/architecture.test.ts keeps the fronts on it.

// Judging one admission, and whether a namespace is judged at all.
export { evaluate, verdictOf, type Decision, type EngineContext, type Review, type SkipReason, type Verdict } from './evaluate.js';
export { mutations, type Mutation } from './mutate.js';
export { inferredNamespace, isProtectedNamespace, scopeOf, type Scope, type ScopeContext, type ScopePurpose, type ScopeSkip } from './scope.js';
export type { Violation } from './rule.js';
export { RULES } from './rules/index.js';
export { describeRef, objectRef, type ObjectRef } from './subjects.js';

// Objects, their shape and limits.
export { isRecord, type KubeObject, type NetworkPolicy, type Operation, type UserInfo } from './types.js';
export { kindOf, metadataProblem, shapeProblem } from './shape.js';
export { checkStructure } from './limits.js';

// The view and where it comes from.
export { IndexedView, namespaceInfo, type NamespaceInfo, type View } from './view.js';
export { staticViewSource, type ViewSource } from './view-source.js';
export { compilePolicy } from './policies.js';
export { workloadsOf } from './inventory.js';

// What the declared flow needs and what the policies let through.
export { generatePolicies, managedPolicies, type GenerateOptions, type GeneratedNamespace } from './generate.js';
export { stageFlow, type EdgeKind, type StageEdge, type StageFlow } from './flow.js';
export { formatPorts } from '../shared/ports.js';
export { connectivityOf, isBackdoor, type Connection, type Peer } from './connlist.js';
