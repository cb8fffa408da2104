// The CLI's window on the world, so commands can be run in-process by tests.
import { readFileSync } from 'node:fs';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  readStdin(): string;
  readonly color: boolean;
}

export function processIo(): CliIo {
  return {
    out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    readStdin: () => readFileSync(0, 'utf8'),
    color: Boolean(process.stdout.isTTY) && !process.env['NO_COLOR'],
  };
}
