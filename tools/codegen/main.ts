/** `npm run codegen`: writes what the console knows of the API (see console-api.ts). */
import 'reflect-metadata';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative } from 'node:path';
import { apiPlugins } from '@bulwark/composition-api';
import { generateConsoleApi, OUTPUT } from './console-api';

async function main() {
  const text = await generateConsoleApi(apiPlugins);
  let before = '';
  try {
    before = readFileSync(OUTPUT, 'utf8');
  } catch {
    // first run
  }
  const name = relative(process.cwd(), OUTPUT);
  if (before === text) {
    process.stdout.write(`${name} is up to date\n`);
    return;
  }
  mkdirSync(dirname(OUTPUT), { recursive: true });
  writeFileSync(OUTPUT, text);
  process.stdout.write(`wrote ${name}\n`);
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
