/**
 * The console's generated view of the API must match the server as it is: a permission renamed
 * on the server fails here (and then in the console's type-check), not in a browser.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { apiPlugins } from '@bulwark/composition-api';
import { COMMAND, generateConsoleApi, OUTPUT } from './console-api';

describe('console API types', () => {
  it('are up to date with the schema and permission catalog', async () => {
    const fresh = await generateConsoleApi(apiPlugins);
    let stored = '';
    try {
      stored = readFileSync(OUTPUT, 'utf8');
    } catch {
      // missing: reported below like a stale file
    }
    if (stored !== fresh) {
      throw new Error(`${relative(process.cwd(), OUTPUT)} is stale: run \`${COMMAND}\` and commit the result`);
    }
  });

  it('name every permission of the catalog', async () => {
    const text = await generateConsoleApi(apiPlugins);
    expect(text).toMatch(/^ {2}TICKETS_READ: 'TICKETS_READ',$/m);
    expect(text).toMatch(/^export interface Ticket \{$/m);
  });
});
