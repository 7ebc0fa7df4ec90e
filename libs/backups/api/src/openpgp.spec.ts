/**
 * OpenPGP mode for backups (issue 5 §4; SECURITY.md G3): a tenant's backups encrypted to its own
 * public key, readable by gpg 2.2 with the private key (made here by gpg itself) and by no one
 * else — the server included. G1 for OpenPGP: the archive was verified on its way into the
 * encryption; a flipped byte of the file fails `gpg --decrypt`. Unusable keys (private, garbage,
 * expired, revoked, sign-only) are refused clearly; another tenant's settings are untouched.
 */
import { withSystemContext, type AppError } from '@bulwark/platform-api';
import { startTestServer, type TestServer } from '@bulwark/platform-api/testing';
import { createPersonas, type TenantPersonas } from '@bulwark/identity-api/testing';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { brotliCompressSync, brotliDecompressSync } from 'node:zlib';
import { armor, enums, generateKey, readKey, readPrivateKey, revokeKey } from 'openpgp';
import { apiPlugins } from '@bulwark/composition-api';
import { BackupSettings } from './backup-settings.entity';
import type { BackupDeps } from './backup.deps';
import { verifyArchive } from './backup-envelope.service';
import { runBackup } from './backup-run.service';
import { backupSettings, setBackupEncryption } from './backup-settings.service';
import { restoreTenant } from './restore.service';
import { localStorage } from './storage';

let t: TestServer;
let a: TenantPersonas;
let b: TenantPersonas;
let c: TenantPersonas;
let deps: BackupDeps;
let dir: string;
let gnupgHome: string;
let publicKey: string;
let secretKey: string;
let fingerprint: string;

/** gpg in the test's own home; never the user's keyring. */
function gpg(args: string[], input?: Buffer | string) {
  const r = spawnSync('gpg', ['--batch', '--no-tty', ...args], { env: { ...process.env, GNUPGHOME: gnupgHome }, input, maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw r.error;
  return r;
}

function ok(r: ReturnType<typeof gpg>): Buffer {
  if (r.status !== 0) throw new Error(`gpg failed (${r.status}): ${r.stderr.toString()}`);
  return r.stdout;
}

async function create(p: { token: string }, subject: string) {
  const r = await t.gql<{ createTicket: { id: string } }>(`mutation($s: String!) { createTicket(input: { subject: $s, body: "body of ${subject}" }) { id } }`, { s: subject }, { token: p.token });
  if (!r.data) throw new Error(JSON.stringify(r.errors));
  return r.data.createTicket.id;
}

const setEncryption = (tenantId: string, input: { mode: string; publicKeyArmored?: string | null }) =>
  withSystemContext(t.server.orm, t.server.app, tenantId, 'test', (ctx) => setBackupEncryption(ctx, input));

const settingsOf = async (tenantId: string) =>
  (await t.ownerSql<{ encryption: string; openpgp_fingerprint: string | null; openpgp_public_key: string | null }>(
    `select encryption, openpgp_fingerprint, openpgp_public_key from backup_settings where tenant_id = $1`,
    [tenantId],
  ))[0] ?? null;

/** Refused with BAD_USER_INPUT and a message matching `message`. */
async function refused(tenantId: string, input: { mode: string; publicKeyArmored?: string | null }, message: RegExp) {
  const error = (await setEncryption(tenantId, input).then(
    () => null,
    (e: AppError) => e,
  )) as AppError | null;
  expect(error).not.toBeNull();
  expect(error?.extensions.code).toBe('BAD_USER_INPUT');
  expect(error?.message).toMatch(message);
}

const user = [{ name: 'Other Key', email: 'other@test.invalid' }];

beforeAll(async () => {
  gnupgHome = mkdtempSync(join(tmpdir(), 'bulwark-gnupg-'));
  chmodSync(gnupgHome, 0o700);
  dir = mkdtempSync(join(tmpdir(), 'bulwark-openpgp-'));
  t = await startTestServer(apiPlugins);
  a = await createPersonas(t, 'pgp');
  b = await createPersonas(t, 'pgpbystander');
  for (let i = 0; i < 12; i++) await create(a.agent, `pgp ticket ${i}`);
  await create(b.agent, 'B stays on AES');
  // A tenant whose archive is larger than every pipe buffer on the way (about 4 MB, 2 MB compressed).
  c = await createPersonas(t, 'pgpbig');
  await t.ownerSql(
    `insert into tickets (id, tenant_id, subject, body, status, priority, channel, requester_id, created_at, updated_at)
     select gen_random_uuid(), $1, 'bulk ' || g, (select string_agg(md5(random()::text || g || i), '') from generate_series(1, 60) i),
            'new', 'normal', 'web', $2, now(), now()
       from generate_series(1, 2000) g`,
    [c.tenantId, c.requester.id],
  );
  deps = { orm: t.server.orm, app: t.server.app, storage: localStorage(join(dir, 'store')), schemas: t.server.api.migrations.map((m) => m.name) };

  ok(gpg(['--passphrase', '', '--quick-gen-key', 'Backup Test <backup@test.invalid>', 'rsa3072', 'encr', 'never']));
  publicKey = ok(gpg(['--armor', '--export', 'backup@test.invalid'])).toString('utf8');
  secretKey = ok(gpg(['--pinentry-mode', 'loopback', '--passphrase', '', '--armor', '--export-secret-keys', 'backup@test.invalid'])).toString('utf8');
  const colons = ok(gpg(['--with-colons', '--list-keys', 'backup@test.invalid'])).toString('utf8');
  fingerprint = /^fpr:(?:[^:]*:){8}([0-9A-F]{40}):/m.exec(colons)?.[1] ?? '';
  expect(fingerprint).toMatch(/^[0-9A-F]{40}$/);
});
afterAll(async () => {
  if (gnupgHome) {
    spawnSync('gpgconf', ['--kill', 'all'], { env: { ...process.env, GNUPGHOME: gnupgHome } }); // its gpg-agent
    rmSync(gnupgHome, { recursive: true, force: true });
  }
  try {
    await t?.close();
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
});

describe('G3 OpenPGP mode', () => {
  it('stores the key and its fingerprint, and records the change', async () => {
    const s = await setEncryption(a.tenantId, { mode: 'openpgp', publicKeyArmored: publicKey });
    expect(s).toMatchObject({ encryption: 'openpgp', openpgpFingerprint: fingerprint });
    const row = await settingsOf(a.tenantId);
    expect(row).toMatchObject({ encryption: 'openpgp', openpgp_fingerprint: fingerprint });
    expect(row?.openpgp_public_key).toMatch(/^-----BEGIN PGP PUBLIC KEY BLOCK-----/);
    const [event] = await t.ownerSql<{ changes: Record<string, { before: unknown; after: unknown }> }>(
      `select changes from audit_events where tenant_id = $1 and action = 'backups.encryptionChanged'`,
      [a.tenantId],
    );
    expect(event.changes).toEqual({
      encryption: { before: 'aes-256-gcm', after: 'openpgp' },
      openpgpFingerprint: { before: null, after: fingerprint },
      openpgpPublicKeySha256: { before: null, after: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    // The same key again changes nothing and records nothing.
    await setEncryption(a.tenantId, { mode: 'openpgp', publicKeyArmored: publicKey });
    expect((await t.ownerSql(`select 1 from audit_events where tenant_id = $1 and action = 'backups.encryptionChanged'`, [a.tenantId])).length).toBe(1);
  });

  it('writes a backup that gpg decrypts with the private key, whose archive verifies with the right counts', async () => {
    const run = await runBackup(deps, a.tenantId, 'cli');
    expect(run).toMatchObject({ status: 'succeeded', encryption: 'openpgp', storageKey: `${a.tenantId}/${run.id}.bwb` });
    expect(run.counts).toMatchObject({ tickets: 12, users: 7 });
    const path = join(dir, 'store', run.storageKey!);
    const file = readFileSync(path);
    expect(Number(run.sizeBytes)).toBe(file.length);
    expect(createHash('sha256').update(file).digest('hex')).toBe(run.sha256);
    expect(file.toString('utf8')).not.toMatch(/pgp ticket|pgp\.test|bulwark-backup/);

    const decrypted = gpg(['--decrypt', path]);
    expect(decrypted.stderr.toString()).toContain('encrypted with 3072-bit RSA key');
    const plain = ok(decrypted);
    expect(brotliDecompressSync(plain).toString('utf8').split('\n')[0]).toContain(`"tenantId":"${a.tenantId}"`);
    const { header, manifest } = await verifyArchive(deps, Readable.from(plain), { encrypted: false });
    expect(header).toMatchObject({ tenantId: a.tenantId, schema: deps.schemas.at(-1) });
    expect(manifest.counts).toEqual(run.counts);

    // The audit event names the key and the SHA-256 of exactly the bytes that were verified and encrypted.
    const [event] = await t.ownerSql<{ details: Record<string, unknown> }>(`select details from audit_events where tenant_id = $1 and target_id = $2`, [a.tenantId, run.id]);
    expect(event.details).toMatchObject({ encryption: 'openpgp', fingerprint, plaintextSha256: createHash('sha256').update(plain).digest('hex') });

    // The server cannot read it itself, and says why.
    await expect(verifyArchive(deps, deps.storage.get(run.storageKey!))).rejects.toThrow(/OpenPGP backup.*gpg --decrypt/);
  });

  it('fails gpg --decrypt on a flipped byte', async () => {
    const run = await runBackup(deps, a.tenantId, 'cli');
    const file = readFileSync(join(dir, 'store', run.storageKey!));
    for (const i of [Math.floor(file.length / 2), file.length - 5]) {
      const bad = Buffer.from(file);
      bad[i] ^= 0x01;
      const path = join(dir, `flipped-${i}.pgp`);
      writeFileSync(path, bad);
      const r = gpg(['--decrypt', path]);
      expect(r.status).not.toBe(0);
    }
    expect(gpg(['--decrypt', join(dir, 'store', run.storageKey!)]).status).toBe(0);
  });

  it('restores from the decrypted file (encrypted: false), all or nothing', async () => {
    const run = await runBackup(deps, a.tenantId, 'cli');
    const plain = ok(gpg(['--decrypt', join(dir, 'store', run.storageKey!)]));
    await create(a.agent, 'made after the backup');
    const count = async () => (await t.ownerSql(`select 1 from tickets where tenant_id = $1`, [a.tenantId])).length;
    expect(await count()).toBe(13);
    const dry = await restoreTenant(deps, a.tenantId, Readable.from(plain), { dryRun: true, encrypted: false });
    expect(dry.manifest.counts).toEqual(run.counts);
    expect(await count()).toBe(13);
    // A changed byte of the decrypted archive is caught by the manifest (or the decompression), and nothing changes.
    const bad = Buffer.from(plain);
    bad[Math.floor(bad.length / 2)] ^= 0x01;
    await expect(restoreTenant(deps, a.tenantId, Readable.from(bad), { encrypted: false })).rejects.toThrow();
    expect(await count()).toBe(13);
    // So is a change in a line that is not a row: an empty table's column list, which no row
    // would ever put to the test (the manifest's `structure` hash).
    const text = brotliDecompressSync(plain).toString('utf8');
    const marker = /^\{"\$stream":"sso_replay_cache".*$/m.exec(text)![0];
    const edited = brotliCompressSync(Buffer.from(text.replace(marker, marker.replace('"key"', '"kex"'))));
    await expect(restoreTenant(deps, a.tenantId, Readable.from(edited), { encrypted: false })).rejects.toThrow(/header or a stream line does not match/);
    expect(await count()).toBe(13);
    const restored = await restoreTenant(deps, a.tenantId, Readable.from(plain), { encrypted: false, runId: run.id });
    expect(restored.rows).toBe(Object.values(run.counts!).reduce((x, y) => x + y, 0));
    expect(await count()).toBe(12);
  });

  it('fails the run, clearly, when the stored key has expired since it was uploaded', async () => {
    const { publicKey: expiring } = await generateKey({ userIDs: user, keyExpirationTime: 24 * 3600, date: t.server.app.now(), format: 'armored' });
    await setEncryption(a.tenantId, { mode: 'openpgp', publicKeyArmored: expiring });
    t.clock.advance(2 * 24 * 3600_000);
    t.expectErrors(/"backup failed".*backup key cannot be used/);
    try {
      await expect(runBackup(deps, a.tenantId, 'cli')).rejects.toMatchObject({ code: 'KEY_UNUSABLE', message: expect.stringMatching(/workspace's OpenPGP backup key cannot be used: This key expired/) });
      const [failed] = await t.ownerSql<{ status: string; encryption: string; storage_key: string | null }>(
        `select status, encryption, storage_key from backup_runs where tenant_id = $1 order by created_at desc limit 1`,
        [a.tenantId],
      );
      expect(failed).toEqual({ status: 'failed', encryption: 'openpgp', storage_key: null });
    } finally {
      t.clock.reset();
      await setEncryption(a.tenantId, { mode: 'openpgp', publicKeyArmored: publicKey });
    }
  });
});

describe('G1 for OpenPGP on a larger archive, and failures past the archive', () => {
  beforeAll(async () => {
    await setEncryption(c.tenantId, { mode: 'openpgp', publicKeyArmored: publicKey });
  });

  it('streams a multi-megabyte archive through the verifier and the encryption; gpg reads it', async () => {
    const run = await runBackup(deps, c.tenantId, 'cli');
    expect(run).toMatchObject({ status: 'succeeded', encryption: 'openpgp' });
    expect(run.counts?.tickets).toBe(2000);
    expect(Number(run.sizeBytes)).toBeGreaterThan(1_000_000);
    const plain = ok(gpg(['--decrypt', join(dir, 'store', run.storageKey!)]));
    expect((await verifyArchive(deps, Readable.from(plain), { encrypted: false })).manifest.counts).toEqual(run.counts);
  });

  it.each(['openpgp', 'aes-256-gcm'])('%s: a storage that fails (at once, or part way) ends the run failed, without hanging', async (mode) => {
    if (mode === 'aes-256-gcm') await setEncryption(c.tenantId, { mode });
    t.expectErrors(/"backup failed".*(disk full|connection reset)/);
    try {
      const atOnce: BackupDeps = { ...deps, storage: { ...deps.storage, put: async () => Promise.reject(new Error('disk full')) } };
      await expect(runBackup(atOnce, c.tenantId, 'cli')).rejects.toThrow('disk full');
      const partWay: BackupDeps = {
        ...deps,
        storage: {
          ...deps.storage,
          async put(_key, body) {
            let n = 0;
            for await (const chunk of body as AsyncIterable<Buffer>) if ((n += chunk.length) > 200_000) throw new Error('connection reset');
            throw new Error('unreachable');
          },
        },
      };
      await expect(runBackup(partWay, c.tenantId, 'cli')).rejects.toThrow('connection reset');
      const runs = await t.ownerSql<{ status: string; encryption: string }>(`select status, encryption from backup_runs where tenant_id = $1 order by created_at desc limit 2`, [c.tenantId]);
      expect(runs).toEqual([
        { status: 'failed', encryption: mode },
        { status: 'failed', encryption: mode },
      ]);
    } finally {
      await setEncryption(c.tenantId, { mode: 'openpgp', publicKeyArmored: publicKey });
    }
  });

  it('fails the run when the stored object is not exactly what the encryption produced', async () => {
    const altered: BackupDeps = {
      ...deps,
      storage: {
        ...deps.storage,
        get(key) {
          const bytes = readFileSync(join(dir, 'store', key));
          bytes[bytes.length - 10] ^= 0x01;
          return Readable.from([bytes]);
        },
      },
    };
    t.expectErrors(/"backup failed".*not what was written/);
    const before = (await t.ownerSql(`select 1 from backup_runs where tenant_id = $1 and status = 'failed'`, [c.tenantId])).length;
    await expect(runBackup(altered, c.tenantId, 'cli')).rejects.toMatchObject({ code: 'STORED_FILE_MISMATCH', message: expect.stringMatching(/not what was written/) });
    const [failed] = await t.ownerSql<{ id: string; status: string }>(`select id, status from backup_runs where tenant_id = $1 order by created_at desc limit 1`, [c.tenantId]);
    expect(failed.status).toBe('failed');
    expect((await t.ownerSql(`select 1 from backup_runs where tenant_id = $1 and status = 'failed'`, [c.tenantId])).length).toBe(before + 1);
    expect(await deps.storage.exists(`${c.tenantId}/${failed.id}.bwb`)).toBe(false);
  });
});

describe('unusable keys are refused with BAD_USER_INPUT, and change nothing', () => {
  it('refuses a private key, garbage, several keys, and a missing key or unknown mode', async () => {
    await refused(a.tenantId, { mode: 'openpgp', publicKeyArmored: secretKey }, /private key/);
    await refused(a.tenantId, { mode: 'openpgp', publicKeyArmored: 'hello, not a key' }, /armored OpenPGP public key/);
    await refused(a.tenantId, { mode: 'openpgp', publicKeyArmored: '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n-----END PGP PUBLIC KEY BLOCK-----\n' }, /not a readable OpenPGP public key/);
    const { publicKey: other } = await generateKey({ userIDs: user, format: 'armored' });
    await refused(a.tenantId, { mode: 'openpgp', publicKeyArmored: publicKey + other }, /exactly one public key/);
    const oneBlockTwoKeys = armor(enums.armor.publicKey, Buffer.concat([(await readKey({ armoredKey: publicKey })).write(), (await readKey({ armoredKey: other })).write()].map((k) => k as Uint8Array)));
    await refused(a.tenantId, { mode: 'openpgp', publicKeyArmored: oneBlockTwoKeys }, /exactly one public key \(this has 2\)/);
    await refused(a.tenantId, { mode: 'openpgp' }, /needs the public key/);
    await refused(a.tenantId, { mode: 'rot13' }, /aes-256-gcm or openpgp/);
    await refused(a.tenantId, { mode: 'aes-256-gcm', publicKeyArmored: publicKey }, /only used in OpenPGP mode/);
    expect(await settingsOf(a.tenantId)).toMatchObject({ encryption: 'openpgp', openpgp_fingerprint: fingerprint });
  });

  it('refuses expired, revoked and sign-only keys', async () => {
    const now = t.server.app.now();
    const { publicKey: expired } = await generateKey({ userIDs: user, date: new Date(now.getTime() - 10 * 24 * 3600_000), keyExpirationTime: 24 * 3600, format: 'armored' });
    await refused(a.tenantId, { mode: 'openpgp', publicKeyArmored: expired }, /expired/);
    const { privateKey } = await generateKey({ userIDs: user, format: 'armored' });
    const { publicKey: revoked } = await revokeKey({ key: await readPrivateKey({ armoredKey: privateKey }), format: 'armored' });
    await refused(a.tenantId, { mode: 'openpgp', publicKeyArmored: revoked }, /revoked/);
    const { publicKey: signOnly } = await generateKey({ userIDs: user, subkeys: [{ sign: true }], format: 'armored' });
    await refused(a.tenantId, { mode: 'openpgp', publicKeyArmored: signOnly }, /cannot encrypt/);
    expect(await settingsOf(a.tenantId)).toMatchObject({ encryption: 'openpgp', openpgp_fingerprint: fingerprint });
  });
});

describe('tenants', () => {
  it("leaves another tenant's settings and backups alone", async () => {
    expect(await settingsOf(b.tenantId)).toBeNull(); // never changed: the default
    // Tenant B's view has no row of A's (the filter and RLS): a find by A's row id finds nothing.
    const [aRow] = await t.ownerSql<{ id: string }>(`select id from backup_settings where tenant_id = $1`, [a.tenantId]);
    expect(await withSystemContext(t.server.orm, t.server.app, b.tenantId, 'test', (ctx) => ctx.em.findOne(BackupSettings, { id: aRow.id }))).toBeNull();
    const run = await runBackup(deps, b.tenantId, 'cli');
    expect(run.encryption).toBe('aes-256-gcm');
    expect((await verifyArchive(deps, deps.storage.get(run.storageKey!))).manifest.counts.tickets).toBe(1);
    // Switching A back to AES forgets its key, and B is still as it was.
    await setEncryption(a.tenantId, { mode: 'aes-256-gcm' });
    expect(await settingsOf(a.tenantId)).toEqual({ encryption: 'aes-256-gcm', openpgp_fingerprint: null, openpgp_public_key: null });
    expect((await runBackup(deps, a.tenantId, 'cli')).encryption).toBe('aes-256-gcm');
    expect(await settingsOf(b.tenantId)).toBeNull();
    const bSettings = await withSystemContext(t.server.orm, t.server.app, b.tenantId, 'test', (ctx) => backupSettings(ctx));
    expect(bSettings).toMatchObject({ tenantId: b.tenantId, encryption: 'aes-256-gcm', openpgpFingerprint: undefined });
  });
});
