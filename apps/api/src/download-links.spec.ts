/**
 * SECURITY.md D10 for the one-time download links (audit and ticket exports, backup downloads):
 * a link is redeemed by a plain GET that carries no session, so it must be held to the tenant's
 * IP allowlist itself, as its maker would be. The server trusts one proxy hop, so X-Forwarded-For
 * sets the client address as a load balancer would (as in the access feature's D10 tests).
 */
import { startTestServer, type GqlResult, type TestServer } from '@bulwark/platform-api/testing';
import { createPersonas, PERSONA_PASSWORD, type Persona, type TenantPersonas } from '@bulwark/identity-api/testing';
import { newTenantToken } from '@bulwark/identity-api';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { apiPlugins } from '@bulwark/composition-api';

let t: TestServer;
let a: TenantPersonas;
let dir: string;
let runId: string;

const OFFICE = '203.0.113.0/24';
const INSIDE = '203.0.113.5';
const OUTSIDE = '198.51.100.7';
const from = (ip: string) => ({ 'x-forwarded-for': ip });
const ALLOW = `mutation($input: IpAllowlistInput!) { setIpAllowlist(input: $input) { ipMode } }`;

const ok = <T>(r: GqlResult<T>): T => {
  if (!r.data || r.errors) throw new Error(JSON.stringify(r.errors));
  return r.data;
};
/** Every call of the maker comes from the office: the link is made on an allowed network. */
const asAdmin = <T>(query: string, variables: Record<string, unknown> = {}) => t.gql<T>(query, variables, { token: a.admin.token, headers: from(INSIDE) });
async function sudo(p: Persona) {
  p.token = ok(await t.gql<{ reauthenticate: { token: string } }>(`mutation($p: String!) { reauthenticate(password: $p) { token } }`, { p: PERSONA_PASSWORD }, { token: p.token, headers: from(INSIDE) })).reauthenticate.token;
}
const allowlist = async (input: Record<string, unknown>) => {
  ok(await asAdmin(ALLOW, { input: { rules: [{ cidr: OFFICE }], ...input } }));
};

/** Every kind of link the API hands out, made by the admin from the office. */
const kinds: [string, () => Promise<string>][] = [
  ['audit export', async () => ok(await asAdmin<{ exportAuditLog: { url: string } }>(`mutation { exportAuditLog(format: "csv") { url } }`)).exportAuditLog.url],
  ['backup download', async () => ok(await asAdmin<{ downloadBackup: { url: string } }>(`mutation($id: ID!) { downloadBackup(runId: $id) { url } }`, { id: runId })).downloadBackup.url],
  ['ticket export', async () => ok(await asAdmin<{ exportTickets: { url: string } }>(`mutation { exportTickets(format: CSV) { url } }`)).exportTickets.url],
];
const get = (url: string, ip: string) => fetch(`${t.url}${url}`, { headers: from(ip) });

/** A backup link made straight in the table, for a maker who cannot make one through the API. */
async function linkOf(userId: string): Promise<string> {
  const { token, hash } = newTenantToken('bwd_', a.tenantId);
  await t.ownerSql(
    `insert into backup_downloads (id, tenant_id, user_id, token_hash, created_at, expires_at, run_id)
     values (gen_random_uuid(), $1, $2, $3, now(), now() + interval '5 minutes', $4)`,
    [a.tenantId, userId, hash, runId],
  );
  return `/api/backups/download/${token}`;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bulwark-download-links-'));
  t = await startTestServer(apiPlugins, { BULWARK_TRUST_PROXY_HOPS: '1', BULWARK_BACKUP_DIR: dir, BULWARK_BACKUP_SCHEDULER_SECONDS: '0' });
  a = await createPersonas(t, 'links');
  runId = ok(await asAdmin<{ runBackupNow: { id: string } }>(`mutation { runBackupNow { id } }`)).runBackupNow.id;
  for (let i = 0; i < 200; i++) {
    const [run] = await t.ownerSql<{ status: string }>(`select status from backup_runs where id = $1`, [runId]);
    if (run.status === 'succeeded') break;
    if (run.status === 'failed') throw new Error('the backup failed');
    await new Promise((r) => setTimeout(r, 100));
  }
  await sudo(a.admin);
}, 60_000);
afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});
// Through the API, so this process's cached settings are dropped at once.
afterEach(() => allowlist({ mode: 'off', rules: [] }));

describe('D10 one-time download links are held to the IP allowlist', () => {
  it.each(kinds)('%s: refused with FORBIDDEN from outside the allowlist, audited, and spent', async (_kind, make) => {
    await allowlist({ mode: 'enforce' });
    const url = await make();
    const res = await get(url, OUTSIDE);
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ errors: [{ message: 'Access from this network is not allowed for your account', extensions: { code: 'FORBIDDEN', reason: 'network' } }] });
    const events = await t.ownerSql<Record<string, unknown>>(`select * from audit_events where request_id = $1`, [res.headers.get('x-request-id')]);
    expect(events).toEqual([
      expect.objectContaining({ tenant_id: a.tenantId, action: 'platform.accessDenied', outcome: 'denied', actor_type: 'user', actor_id: a.admin.id, ip: OUTSIDE }),
    ]);
    // It left the network it was made on: it is not kept for a second try from inside.
    expect((await get(url, INSIDE)).status).toBe(404);
  });

  it.each(kinds)('%s: served inside the allowlist, an IPv4-mapped IPv6 address included', async (_kind, make) => {
    await allowlist({ mode: 'enforce' });
    for (const ip of [INSIDE, '::ffff:203.0.113.9']) {
      const res = await get(await make(), ip);
      expect({ ip, status: res.status }).toEqual({ ip, status: 200 });
      await res.arrayBuffer();
    }
  });

  it('lets a link through in report-only mode and logs what it would have refused', async () => {
    await allowlist({ mode: 'report' });
    for (const [, make] of kinds) {
      const res = await get(await make(), '198.51.100.99');
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    expect(t.logs().filter((l) => l.includes('report only') && l.includes('198.51.100.99'))).toHaveLength(kinds.length);
  });

  it("holds a requester's link only when the tenant includes requesters, as for their sessions", async () => {
    await allowlist({ mode: 'enforce' });
    // The network lets it through; then the link gives nothing, as a requester may not download
    // backups (links are judged as their maker, now).
    const free = await get(await linkOf(a.requester.id), OUTSIDE);
    expect(free.status).toBe(404);
    await free.arrayBuffer();
    await allowlist({ mode: 'enforce', includesRequesters: true });
    const held = await get(await linkOf(a.requester.id), OUTSIDE);
    expect(held.status).toBe(403);
    expect(((await held.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe('FORBIDDEN');
  });

  it('stops the links of a maker who was suspended, like their sessions (B6)', async () => {
    const url = await linkOf(a.agent.id);
    await t.ownerSql(`update users set status = 'suspended' where id = $1`, [a.agent.id]);
    const res = await get(url, INSIDE);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe('NOT_FOUND');
  });

  it.each(kinds)('gives nothing by a %s link once its maker lost the permission to make it', async (_kind, make) => {
    const url = await make();
    // The admin becomes an agent (no export, no download) after making the link.
    await t.ownerSql(`update users set role = 'agent' where id = $1`, [a.admin.id]);
    try {
      const res = await get(url, INSIDE);
      expect(res.status).toBe(404);
    } finally {
      await t.ownerSql(`update users set role = 'admin' where id = $1`, [a.admin.id]);
    }
  });
});
