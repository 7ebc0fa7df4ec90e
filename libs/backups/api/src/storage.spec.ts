/**
 * The storage drivers (issue 5 §5): the local directory and S3-compatible object storage pass the
 * same suite, the S3 one against a real S3 server on loopback (s3rver), including a whole backup
 * written, verified and restored through it.
 */
import { startTestServer, type TestServer } from '@bulwark/platform-api/testing';
import { createPersonas, type TenantPersonas } from '@bulwark/identity-api/testing';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import S3rver from 's3rver';
import { apiPlugins } from '@bulwark/composition-api';
import type { BackupDeps } from './backup.deps';
import { runBackup } from './backup-run.service';
import { restoreTenant } from './restore.service';
import { s3Storage } from './s3-storage';
import { fileStore } from './file-store';
import { localStorage, type BackupStorage } from './storage';

let t: TestServer;
let a: TenantPersonas;
let dir: string;
let s3: S3rver;
const drivers: Record<string, () => BackupStorage> = {};

beforeAll(async () => {
  t = await startTestServer(apiPlugins);
  a = await createPersonas(t, 'stored');
  dir = mkdtempSync(join(tmpdir(), 'bulwark-storage-'));
  s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: join(dir, 's3rver'), configureBuckets: [{ name: 'bulwark-backups', configs: [] }] });
  const address = (await s3.run()) as AddressInfo;
  drivers.local = () => localStorage(join(dir, 'local'));
  drivers.s3 = () =>
    s3Storage(
      { endpoint: `http://127.0.0.1:${address.port}`, region: 'us-east-1', bucket: 'bulwark-backups', prefix: 'tenants/', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true },
      join(dir, 'spool'),
    );
});
afterAll(async () => {
  await t?.close();
  await s3?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.each(['local', 's3'])('%s storage', (name) => {
  const tenant = randomUUID();
  const key = (run: string) => `${tenant}/${run}.bwb`;

  it('stores, lists, reads back and removes objects under tenant keys only', async () => {
    const storage = drivers[name]();
    const k1 = key(randomUUID());
    const k2 = key(randomUUID());
    expect(await storage.put(k1, Readable.from([Buffer.from('first archive')]))).toEqual({ size: 13 });
    await storage.put(k2, Readable.from([Buffer.from('second')]));
    expect((await storage.list(tenant)).sort()).toEqual([k1, k2].sort());
    expect(await storage.list(randomUUID())).toEqual([]);
    expect(await text(storage.get(k1))).toBe('first archive');
    expect(await storage.exists(k1)).toBe(true);
    await storage.remove(k1);
    expect(await storage.exists(k1)).toBe(false);
    expect(await storage.list(tenant)).toEqual([k2]);
    for (const bad of ['../../etc/passwd', `${tenant}/../x.bwb`, '/abs/path.bwb', `${tenant}/${randomUUID()}.txt`]) {
      expect(() => storage.get(bad)).toThrow(/not a backup key/);
    }
  });

  it('keeps files (attachments) encrypted under files/<tenant>/<id>, apart from archives, and lists them for the orphan sweep', async () => {
    const storage = drivers[name]();
    const files = fileStore(t.server.app.config, storage);
    const id = randomUUID();
    await files.put(`${tenant}/${id}`, Buffer.from('a screenshot'));
    expect(await text(storage.get(`files/${tenant}/${id}`))).not.toContain('a screenshot');
    expect((await files.read(`${tenant}/${id}`)).toString()).toBe('a screenshot');
    expect(await storage.list(tenant)).not.toContain(`files/${tenant}/${id}`);
    expect((await files.list()).map((f) => f.storageKey)).toContain(`${tenant}/${id}`);
    expect(await files.readIfExists(`${tenant}/${randomUUID()}`)).toBeNull();
    await files.remove(`${tenant}/${id}`);
    expect(await files.exists(`${tenant}/${id}`)).toBe(false);
    expect(() => storage.get(`files/${tenant}/../x`)).toThrow(/not a backup key/);
  });

  it('never shows a half-written object: a stream that fails leaves nothing under the key', async () => {
    const storage = drivers[name]();
    const k = key(randomUUID());
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(1024, 1));
        this.destroy(new Error('source broke'));
      },
    });
    await expect(storage.put(k, failing)).rejects.toThrow('source broke');
    expect(await storage.exists(k)).toBe(false);
  });

  it('carries a whole backup: written, verified, listed and restored through it', async () => {
    const deps: BackupDeps = { orm: t.server.orm, app: t.server.app, storage: drivers[name](), schemas: t.server.api.migrations.map((m) => m.name) };
    const run = await runBackup(deps, a.tenantId, 'cli');
    expect(run.status).toBe('succeeded');
    expect(await deps.storage.list(a.tenantId)).toContain(run.storageKey);
    const restored = await restoreTenant(deps, a.tenantId, deps.storage.get(run.storageKey!), { dryRun: true });
    expect(restored.manifest.counts).toEqual(run.counts);
  });
});
