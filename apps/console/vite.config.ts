import react from '@vitejs/plugin-react';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

const root = resolve(__dirname, '../..');
const { compilerOptions } = JSON.parse(readFileSync(resolve(root, 'tsconfig.base.json'), 'utf8'));
// Only console-side and shared libraries are reachable from the browser bundle.
const alias = Object.fromEntries(
  Object.entries(compilerOptions.paths as Record<string, string[]>)
    .filter(([name]) => name.endsWith('-console') || name.endsWith('-shared'))
    .map(([name, [target]]) => [name, resolve(root, target)]),
);

export default defineConfig({
  root: __dirname,
  plugins: [react()],
  resolve: { alias },
  build: { outDir: resolve(root, 'dist/apps/console'), emptyOutDir: true, chunkSizeWarningLimit: 4000, sourcemap: false },
  // Development: Vite serves the console, the API runs with `npm start` (PORT 4000).
  server: { port: 5173, proxy: { '/graphql': 'http://127.0.0.1:4000' } },
});
