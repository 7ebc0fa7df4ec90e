#!/usr/bin/env node
// `npm test`: the whole suite, as CI runs it: type-check, lint (module boundaries included),
// build the console (the browser tests drive the built one), then every Jest spec.
// `npm test -- <jest args>` runs only Jest with those arguments.
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const bin = (pkg, file) => join(root, 'node_modules', pkg, file);
const args = process.argv.slice(2);
const env = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true' };

const steps = args.length
  ? [['jest', [bin('jest', 'bin/jest.js'), '--ci', ...args]]]
  : [
      ['type-check (server)', [bin('typescript', 'bin/tsc'), '-p', 'tsconfig.json']],
      ['type-check (console)', [bin('typescript', 'bin/tsc'), '-p', 'apps/console/tsconfig.json']],
      ['lint', [bin('eslint', 'bin/eslint.js'), '--max-warnings', '0', '.']],
      ['build console', [bin('vite', 'bin/vite.js'), 'build', '--config', 'apps/console/vite.config.ts', '--logLevel', 'warn']],
      ['jest', [bin('jest', 'bin/jest.js'), '--ci']],
    ];

for (const [name, argv] of steps) {
  const started = Date.now();
  process.stdout.write(`\n== ${name}\n`);
  const r = spawnSync(process.execPath, argv, { cwd: root, stdio: 'inherit', env });
  process.stdout.write(`== ${name}: ${r.status === 0 ? 'ok' : 'FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  if (r.status !== 0) process.exit(r.status ?? 1);
}
