// Structured JSON logs (pino): one line per event, machine-readable, cheap on the hot path.
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from '../shared/observability.js';

export function createLogger(options: { level?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      name: 'stagewall',
      level: options.level ?? process.env['LOG_LEVEL'] ?? 'info',
      base: { service: 'stagewall' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
}

/** A logger that drops everything, for tests and benchmarks. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** A string from a request (a user, a uid, a name) in a log line: an API server sends short ones,
 * a hand-made review may send megabytes, which must not become megabytes of log. */
export const MAX_LOGGED_FIELD_LENGTH = 256;

/** A log line's message (a violation's, an error's), in characters. */
export const MAX_LOGGED_MESSAGE_LENGTH = 2048;

/** The text cut to `max` characters, marked with "…" when cut; not a string stays as it is. */
export function loggable<T>(value: T, max: number = MAX_LOGGED_FIELD_LENGTH): T | string {
  return typeof value === 'string' && value.length > max ? `${value.slice(0, max - 1)}…` : value;
}
