// The output formats of the commands, apart from the code that renders them: main.ts declares its
// options with these at start-up, before (and without) importing any renderer.
export const GRAPH_FORMATS = ['mermaid', 'dot', 'json'] as const;
export type GraphFormat = (typeof GRAPH_FORMATS)[number];

export const CHECK_FORMATS = ['text', 'json', 'junit', 'sarif', 'markdown'] as const;
export type CheckFormat = (typeof CHECK_FORMATS)[number];

/** check --fail-on: what makes the exit code 1. */
export const FAIL_ON = ['deny', 'warn'] as const;
