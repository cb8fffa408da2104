// Every error a user can meet is a StagewallError: a stable code from this catalog and a message
// that says what is wrong and how to fix it. Stack traces are for bugs, never for bad input.

/**
 * Where a user meets an error code: the exit code of the CLI (`check`, `graph`, `serve` at start
 * and the others), the HTTP status of the webhook's JSON error `{"error":{"code","message"}}`, or
 * the `status.code` of an AdmissionReview answered 200 that refuses the object. docs/errors.md is
 * generated from this catalog (`npm run docs`) and a test keeps it in sync.
 */
export interface ErrorEntry {
  /** What is wrong, in one line. */
  readonly meaning: string;
  readonly exit?: number;
  readonly http?: number;
  readonly review?: number;
}

/** Every command exits 2 on bad input, config or usage (see EXIT in cli/main.ts). */
const BAD_INPUT = 2;

export const ErrorCodes = {
  CONFIG_READ: { exit: BAD_INPUT, meaning: 'the config file cannot be read (on a reload, the last good config stays in force)' },
  CONFIG_YAML: { exit: BAD_INPUT, meaning: 'the config file is not valid YAML (on a reload, the last good config stays in force)' },
  CONFIG_SCHEMA: { exit: BAD_INPUT, meaning: 'the config does not match the StagewallConfig schema (on a reload, the last good config stays in force)' },
  CONFIG_SEMANTIC: { exit: BAD_INPUT, meaning: 'the config is well-formed but inconsistent (on a reload, the last good config stays in force)' },
  MANIFEST_READ: { exit: BAD_INPUT, meaning: 'a manifest path cannot be read' },
  MANIFEST_YAML: { exit: BAD_INPUT, meaning: 'a manifest is not valid YAML or JSON' },
  MANIFEST_KIND: { exit: BAD_INPUT, meaning: 'a manifest has a missing or unknown apiVersion/kind' },
  MANIFEST_SHAPE: { exit: BAD_INPUT, review: 400, meaning: 'a manifest has a field of the wrong shape' },
  MANIFEST_EMPTY: { exit: BAD_INPUT, meaning: 'the input holds no objects at all (check without --allow-empty)' },
  SELECTOR_INVALID: { exit: BAD_INPUT, review: 400, meaning: 'a label selector is invalid' },
  CIDR_INVALID: { exit: BAD_INPUT, review: 400, meaning: 'a CIDR or IP address is invalid' },
  OBJECT_TOO_LARGE: { exit: BAD_INPUT, review: 400, meaning: 'an object holds more items than any request the API server accepts could (a structural limit)' },
  OBJECT_TOO_DEEP: { exit: BAD_INPUT, review: 400, meaning: 'an object is nested deeper than the structural limit' },
  ADMISSION_BAD_REQUEST: {
    http: 400,
    review: 400,
    meaning: 'an AdmissionReview is malformed (HTTP 400), or its object is missing or of the wrong shape (400 in the review)',
  },
  MALFORMED_JSON: { http: 400, meaning: 'the body of POST /validate or /mutate is not valid JSON' },
  BODY_TOO_LARGE: { http: 413, meaning: 'the request body is over the limit (8 MiB, see docs/limits.md)' },
  METHOD_NOT_ALLOWED: { http: 405, meaning: '/validate and /mutate take POST only (the answer says Allow: POST)' },
  NOT_FOUND: { http: 404, meaning: 'no such endpoint: POST /validate and /mutate on the webhook port, /metrics, /healthz and /readyz on the ops port' },
  SERVER_BUSY: { http: 503, meaning: 'the request bodies held at once are over their budget (32 MiB); retry after Retry-After (1 s)' },
  INTERNAL: { http: 500, meaning: 'an unexpected error (a bug) while answering; only that request fails, and the error is logged' },
  CERTS: { exit: BAD_INPUT, meaning: 'certificates cannot be made or loaded' },
  CLUSTER: { exit: BAD_INPUT, meaning: 'the cluster cannot be reached or read' },
  LISTEN: { exit: BAD_INPUT, meaning: 'a port cannot be listened on (busy, or not allowed)' },
  USAGE: { exit: BAD_INPUT, meaning: 'the command line is wrong' },
} as const satisfies Record<string, ErrorEntry>;

export type ErrorCode = keyof typeof ErrorCodes;

/** The codes the webhook answers with an HTTP error of their own. */
export type HttpErrorCode = { [K in ErrorCode]: (typeof ErrorCodes)[K] extends { readonly http: number } ? K : never }[ErrorCode];

/** The HTTP status of a webhook error code, from the catalog. */
export function httpStatus(code: HttpErrorCode): number {
  return ErrorCodes[code].http;
}

export class StagewallError extends Error {
  readonly code: ErrorCode;
  /** Individual problems, e.g. one line per schema error. */
  readonly details: readonly string[];

  constructor(code: ErrorCode, message: string, details: readonly string[] = []) {
    super(message);
    this.name = 'StagewallError';
    this.code = code;
    this.details = details;
  }

  /** The message with its details, one per line, as a user should read it. */
  describe(): string {
    return [this.message, ...this.details.map((d) => `  - ${d}`)].join('\n');
  }
}

/**
 * Also true for a StagewallError of a second copy of this module: the CLI imports each command's
 * modules lazily, and a CommonJS host (mocha through tsx) can load those as ES modules beside its
 * own copies, where instanceof alone would fail.
 */
export function isStagewallError(err: unknown): err is StagewallError {
  if (err instanceof StagewallError) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Error && err.name === 'StagewallError' && typeof code === 'string' && Object.hasOwn(ErrorCodes, code);
}
