// `npm run prepare`: builds dist/. npm runs it after `npm ci` / `npm install` in a clone (so `npx
// stagewall` works at once), for a git dependency, and before `npm pack` / `npm publish` (so the
// package ships dist/). A production-only install (`npm ci --omit=dev`) has no TypeScript: it says
// so and exits 0, since such an install runs a dist/ built elsewhere (the Dockerfile copies it from
// its build stage, and uses --ignore-scripts anyway); but pack and publish fail rather than ship a
// package without dist/.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let tsc;
try {
  tsc = require.resolve('typescript/bin/tsc');
} catch {
  tsc = undefined;
}
const packing = ['pack', 'publish'].includes(process.env['npm_command'] ?? '');
if (!tsc) {
  if (packing) {
    console.error('stagewall: cannot build dist/ for the package: TypeScript is not installed (run npm ci with dev dependencies first)');
    process.exit(1);
  }
  console.error('stagewall: TypeScript is not installed (a production-only install), so dist/ is not built; run npm run build where it is');
  process.exit(0);
}
const build = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { stdio: 'inherit' });
process.exit(build.status ?? 1);
