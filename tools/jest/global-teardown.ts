import { rmSync } from 'node:fs';
import { Client } from 'pg';

/** Drops this run's databases and stops the embedded server, if one was started. */
export default async function globalTeardown() {
  const serverUrl = process.env.BULWARK_TEST_SERVER_URL;
  const run = process.env.BULWARK_TEST_RUN;
  if (serverUrl && run) {
    const admin = new Client({ connectionString: `${serverUrl}/postgres` });
    await admin.connect();
    const { rows } = await admin.query<{ datname: string }>(`select datname from pg_database where datname like $1`, [`bwt_${run}_%`]);
    for (const { datname } of rows) await admin.query(`drop database if exists "${datname}" with (force)`);
    await admin.end();
  }
  await globalThis.__BULWARK_EMBEDDED__?.stop();
  // Leave no data folders behind (each run would otherwise keep ~100 MB in the temp folder).
  for (const dir of [process.env.BULWARK_TEST_PG_DIR, process.env.BULWARK_TEST_CLI_DIR]) {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}
