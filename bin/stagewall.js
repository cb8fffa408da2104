#!/usr/bin/env node
// The package's bin: runs the compiled CLI (`npm run build` writes dist/).
import '../dist/cli/entry.js';
