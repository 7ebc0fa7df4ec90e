#!/usr/bin/env node
// `npm start`: builds the console when it is missing or older than its sources, then runs the
// API (which serves the console) on PORT, with DATABASE_URL or the embedded PostgreSQL.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const built = join(root, 'dist/apps/console/index.html');

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

// The console app and every feature's console side (libs/<feature>/console).
const sources = [
  join(root, 'apps/console'),
  ...readdirSync(join(root, 'libs')).map((f) => join(root, 'libs', f, 'console')),
  ...readdirSync(join(root, 'libs')).map((f) => join(root, 'libs', f, 'shared')),
].filter(existsSync);
const stale = !existsSync(built) || Math.max(...sources.map(newest)) > statSync(built).mtimeMs;
if (stale) {
  console.log('Building the console (once; about 15 s)...');
  const r = spawnSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'apps/console/vite.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const api = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/api/src/main.ts'], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, BULWARK_CONSOLE_DIR: process.env.BULWARK_CONSOLE_DIR ?? join(root, 'dist/apps/console') },
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => api.kill(signal));
api.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
