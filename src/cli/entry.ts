// Process entry point: runs the CLI with the process's arguments and streams.
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
