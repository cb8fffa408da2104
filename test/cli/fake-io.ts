// An in-process CliIo for the CLI tests: captures what the command writes.
import { main } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';

export interface RunResult {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export async function run(argv: string[], opts: { color?: boolean; stdin?: string } = {}): Promise<RunResult> {
  let out = '';
  let err = '';
  const io: CliIo = {
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text.endsWith('\n') ? text : `${text}\n`;
    },
    readStdin: () => {
      if (opts.stdin === undefined) throw new Error('the test gave no stdin');
      return opts.stdin;
    },
    color: opts.color ?? false,
  };
  const code = await main(argv, io);
  return { code, out, err };
}

/** A stack trace line, as Node prints them. */
export const STACK_LINE = /^\s{4}at /m;
