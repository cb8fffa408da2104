// Every error a user can meet is a StagewallError: a stable code from this catalog and a message
// that says what is wrong and how to fix it. Stack traces are for bugs, never for bad input.

export const ErrorCodes = {
  CONFIG_READ: 'the config file cannot be read',
  CONFIG_YAML: 'the config file is not valid YAML',
  CONFIG_SCHEMA: 'the config does not match the StagewallConfig schema',
  CONFIG_SEMANTIC: 'the config is well-formed but inconsistent',
  MANIFEST_READ: 'a manifest path cannot be read',
  MANIFEST_YAML: 'a manifest is not valid YAML or JSON',
  MANIFEST_KIND: 'a manifest has a missing or unknown apiVersion/kind',
  MANIFEST_SHAPE: 'a manifest has a field of the wrong shape',
  MANIFEST_EMPTY: 'the input holds no objects at all (check without --allow-empty)',
  SELECTOR_INVALID: 'a label selector is invalid',
  CIDR_INVALID: 'a CIDR or IP address is invalid',
  OBJECT_TOO_LARGE: 'an object holds more items than any request the API server accepts could (a structural limit)',
  OBJECT_TOO_DEEP: 'an object is nested deeper than the structural limit',
  ADMISSION_BAD_REQUEST: 'an AdmissionReview is malformed',
  CERTS: 'certificates cannot be made or loaded',
  CLUSTER: 'the cluster cannot be reached or read',
  LISTEN: 'a port cannot be listened on (busy, or not allowed)',
  USAGE: 'the command line is wrong',
} as const;

export type ErrorCode = keyof typeof ErrorCodes;

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
