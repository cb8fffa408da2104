// Structured JSON logs (pino): one line per event, machine-readable, cheap on the hot path.
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

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
