/**
 * Attachments (issue 20 §5): the type judged from the content, the size limit, linking only one's
 * own uploads of one's workspace, links that check again (scope, expiry, tenant), markup never
 * served inline (E8), one statement per page for the fields, the sweeper.
 */
import { platformPlugin, withSystemContext, type RequestContext } from '@bulwark/platform-api';
import { startTestServer, type TestServer } from '@bulwark/platform-api/testing';
import { identityPlugin } from '@bulwark/identity-api';
import { createPersonas, type Persona, type TenantPersonas } from '@bulwark/identity-api/testing';
import { ticketsPlugin } from './index';
import { Comment, Ticket } from './ticket.entity';
import { cleanFilename, downloadUrl, filesOf, linkAttachments, sweepOrphanFiles, sweepUnlinkedAttachments } from './attachments.service';
import { sniff } from './attachments.sniff';

let t: TestServer;
let a: TenantPersonas;
let b: TenantPersonas;

const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), Buffer.alloc(64, 7)]);
const EXE = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200, 0x90)]);
const SVG = Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>');
const HTML = Buffer.from('<!doctype html><html><body><script>alert(1)</script></body></html>');

async function upload(p: Persona | null, name: string, body: Buffer, headers: Record<string, string> = {}) {
  const res = await fetch(`${t.url}/api/tickets/attachments`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', 'x-filename': encodeURIComponent(name), ...(p ? { authorization: `Bearer ${p.token}` } : {}), ...headers },
    body: new Uint8Array(body),
  });
  return { status: res.status, body: (await res.json()) as { id?: string; contentType?: string; errors?: { message: string; extensions: { code: string } }[] } };
}

async function uploaded(p: Persona, name: string, body: Buffer): Promise<string> {
  const r = await upload(p, name, body);
  if (r.status !== 201) throw new Error(JSON.stringify(r.body));
  return r.body.id as string;
}

async function ticketOf(p: Persona, subject: string): Promise<string> {
  const r = await t.gql<{ createTicket: { id: string } }>(`mutation($s: String!) { createTicket(input: { subject: $s, body: "see the file" }) { id } }`, { s: subject }, { token: p.token });
  if (!r.data) throw new Error(JSON.stringify(r.errors));
  return r.data.createTicket.id;
}

/** Acts as a persona in a transaction of its own (the lead's createTicket/addComment call this the same way). */
function as<T>(p: Persona, tenant: TenantPersonas, fn: (ctx: RequestContext) => Promise<T>): Promise<T> {
  return withSystemContext(t.server.orm, t.server.app, tenant.tenantId, 'test', async (ctx) => {
    ctx.principal = await ctx.app.authenticator!.principalOf!(ctx, p.id);
    return fn(ctx);
  });
}

const link = (p: Persona, tenant: TenantPersonas, ids: string[], ticketId: string, commentId?: string) =>
  as(p, tenant, async (ctx) => {
    const r = await linkAttachments(ctx, ids, { ticket: ctx.em.getReference(Ticket, ticketId), comment: commentId ? ctx.em.getReference(Comment, commentId) : null });
    await ctx.em.flush();
    return r;
  });


const Q_ATTACHMENTS = `query($id: ID!) { ticket(id: $id) { attachments { id filename contentType size url } comments { id attachments { id url } } } }`;
type Att = { id: string; filename: string; contentType: string; size: number; url: string };

beforeAll(async () => {
  t = await startTestServer([platformPlugin, identityPlugin, ticketsPlugin]);
  a = await createPersonas(t, 'acme');
  b = await createPersonas(t, 'globex');
});
afterAll(() => t?.close());

describe('a file keeps a name a person can trust', () => {
  it('drops what changes how a name reads, and cuts long names between characters', () => {
    expect(cleanFilename('invoice\u202Egnp.exe')).toBe('invoicegnp.exe'); // shown as "invoiceexe.png" otherwise
    expect(cleanFilename('a\u2066b\u200fc\u2028d\u0085e\u061cf\u200bg\ufeff.txt')).toBe('abcdefg.txt');
    expect(cleanFilename('../../etc/passwd')).toBe('passwd');
    const long = cleanFilename(`${'a'.repeat(254)}😀😀`);
    expect([...long]).toHaveLength(255);
    expect(long.endsWith('😀')).toBe(true); // whole, not half of one
    expect(cleanFilename(' \u202E ')).toBe('file');
  });
});

describe('the kind of file is judged from its content', () => {
  it('tells images, documents, programs and markup apart by their bytes', () => {
    expect(sniff(PNG)).toBe('image/png');
    expect(sniff(EXE)).toBe('application/x-msdownload');
    expect(sniff(SVG)).toBe('image/svg+xml');
    expect(sniff(HTML)).toBe('text/html');
    expect(sniff(Buffer.from('%PDF-1.7\n'))).toBe('application/pdf');
    expect(sniff(Buffer.from('Hello, the printer is on fire.\n'))).toBe('text/plain');
    expect(sniff(Buffer.from([0, 1, 2, 3, 255]))).toBe('application/octet-stream');
  });

  it('refuses an .exe renamed .png, in words (415), and stores nothing', async () => {
    const r = await upload(a.requester, 'holiday.png', EXE);
    expect(r.status).toBe(415);
    expect(r.body.errors?.[0].message).toMatch(/not accepted here \(Windows program, judged by its content/);
    expect(await t.ownerSql(`select 1 from ticket_attachments where filename = 'holiday.png'`)).toHaveLength(0);
  });

  it('stores a PNG named .txt as the PNG it is', async () => {
    const r = await upload(a.requester, 'notes.txt', PNG);
    expect(r).toMatchObject({ status: 201, body: { contentType: 'image/png' } });
  });

  it('refuses HTML and SVG by default (markup a browser would run)', async () => {
    expect((await upload(a.requester, 'page.html', HTML)).status).toBe(415);
    expect((await upload(a.requester, 'logo.svg', SVG)).status).toBe(415);
  });

  it('asks for a signed-in person with a role that writes on tickets, and a raw body with a name', async () => {
    expect((await upload(null, 'x.png', PNG)).status).toBe(401);
    expect((await upload(a.auditor, 'x.png', PNG)).status).toBe(403);
    const noName = await fetch(`${t.url}/api/tickets/attachments`, { method: 'POST', headers: { authorization: `Bearer ${a.requester.token}`, 'content-type': 'application/octet-stream' }, body: new Uint8Array(PNG) });
    expect(noName.status).toBe(400);
    const form = await upload(a.requester, 'x.png', PNG, { 'content-type': 'multipart/form-data; boundary=x' });
    expect(form.status).toBe(415);
  });
});

describe('size and kind limits per workspace', () => {
  const SETTINGS = `mutation($input: AttachmentSettingsInput!) { updateAttachmentSettings(input: $input) { maxBytes allowedTypes } }`;
  afterAll(async () => {
    await t.gql(SETTINGS, { input: { maxBytes: 10 * 1024 * 1024, allowedTypes: ['image/png', 'text/plain', 'application/pdf'] } }, { token: a.admin.token });
  });

  it('refuses a file over the workspace limit (413, in words), other workspaces keep theirs', async () => {
    const r = await t.gql(SETTINGS, { input: { maxBytes: 1024, allowedTypes: ['image/png', 'text/plain'] } }, { token: a.admin.token });
    expect(r.data).toEqual({ updateAttachmentSettings: { maxBytes: 1024, allowedTypes: ['image/png', 'text/plain'] } });
    const big = Buffer.concat([PNG, Buffer.alloc(2000)]);
    const refused = await upload(a.requester, 'big.png', big);
    expect(refused.status).toBe(413);
    expect(refused.body.errors?.[0].message).toBe('The file is larger than this help desk accepts (1 KB)');
    expect((await upload(b.requester, 'big.png', big)).status).toBe(201);
    // PDF is no longer accepted in acme
    expect((await upload(a.requester, 'a.pdf', Buffer.from('%PDF-1.7\n'))).status).toBe(415);
  });

  it('is an admin’s to change, in range, never to allow programs', async () => {
    const r = await t.gql(SETTINGS, { input: { maxBytes: 2048, allowedTypes: ['image/png'] } }, { token: a.agent.token });
    expect(r.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const wrong = await t.gql(SETTINGS, { input: { maxBytes: 10, allowedTypes: ['application/x-msdownload'] } }, { token: a.admin.token });
    expect(wrong.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', fields: { maxBytes: expect.any(String), allowedTypes: 'Programs and scripts cannot be allowed' } } });
    const read = await t.gql<{ attachmentSettings: { maxBytes: number } }>(`{ attachmentSettings { maxBytes defaultMaxBytes kinds { contentType label allowed } } }`, {}, { token: a.requester.token });
    expect(read.data?.attachmentSettings.maxBytes).toBe(1024);
  });
});

describe('linking: only one’s own uploads of one’s workspace', () => {
  it('puts the uploads on the ticket, and the field lists them', async () => {
    const id = await uploaded(a.requester, 'screenshot.png', PNG);
    const ticket = await ticketOf(a.requester, 'with a file');
    await link(a.requester, a, [id], ticket);
    const r = await t.gql<{ ticket: { attachments: Att[] } }>(Q_ATTACHMENTS, { id: ticket }, { token: a.requester.token });
    expect(r.errors).toBeUndefined();
    expect(r.data?.ticket.attachments).toEqual([{ id, filename: 'screenshot.png', contentType: 'image/png', size: PNG.length, url: expect.stringMatching(/^\/api\/tickets\/attachments\//) }]);
  });

  it('takes attachmentIds on createTicket and addComment (the API path)', async () => {
    const first = await uploaded(a.requester, 'first.png', PNG);
    const made = await t.gql<{ createTicket: { id: string; attachments: { id: string }[] } }>(
      `mutation($i: CreateTicketInput!) { createTicket(input: $i) { id attachments { id } } }`,
      { i: { subject: 'Filed with a file', body: 'see it', attachmentIds: [first] } },
      { token: a.requester.token },
    );
    expect(made.errors).toBeUndefined();
    expect(made.data?.createTicket.attachments).toEqual([{ id: first }]);
    const second = await uploaded(a.requester, 'second.png', PNG);
    const reply = await t.gql<{ addComment: { attachments: { id: string }[] } }>(
      `mutation($id: ID!, $i: AddCommentInput!) { addComment(ticketId: $id, input: $i) { attachments { id } } }`,
      { id: made.data!.createTicket.id, i: { body: 'and this', attachmentIds: [second] } },
      { token: a.requester.token },
    );
    expect(reply.data?.addComment.attachments).toEqual([{ id: second }]);
    // Another workspace's upload: NOT_FOUND, and no ticket is left behind.
    const theirs = await uploaded(b.requester, 'theirs.png', PNG);
    const refused = await t.gql(`mutation($i: CreateTicketInput!) { createTicket(input: $i) { id } }`, { i: { subject: 'Not filed', body: 'x', attachmentIds: [theirs] } }, { token: a.requester.token });
    expect(refused.errors?.[0]).toMatchObject({ message: 'Attachment not found', extensions: { code: 'NOT_FOUND' } });
    expect(await t.ownerSql(`select 1 from tickets where subject = 'Not filed'`)).toHaveLength(0);
  });

  it('D2: another workspace’s upload is NOT_FOUND, like a missing one; another person’s too', async () => {
    const ticket = await ticketOf(a.requester, 'cross');
    const theirs = await uploaded(b.requester, 'theirs.png', PNG);
    const colleague = await uploaded(a.requester2, 'colleague.png', PNG);
    await expect(link(a.requester, a, [theirs], ticket)).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'Attachment not found' });
    await expect(link(a.requester, a, ['00000000-0000-4000-8000-000000000000'], ticket)).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'Attachment not found' });
    await expect(link(a.requester, a, [colleague], ticket)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(link(a.requester, a, ['not-an-id'], ticket)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const [row] = await t.ownerSql<{ ticket_id: string | null }>(`select ticket_id from ticket_attachments where id = $1`, [theirs]);
    expect(row.ticket_id).toBeNull();
  });

  it('refuses an upload already on a message (BAD_USER_INPUT)', async () => {
    const id = await uploaded(a.requester, 'once.png', PNG);
    const ticket = await ticketOf(a.requester, 'once');
    await link(a.requester, a, [id], ticket);
    await expect(link(a.requester, a, [id], ticket)).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
  });
});

describe('downloads: short-lived links judged again', () => {
  let ticket: string;
  let att: Att;
  beforeAll(async () => {
    const id = await uploaded(a.requester, 'proof.png', PNG);
    ticket = await ticketOf(a.requester, 'downloads');
    await link(a.requester, a, [id], ticket);
    att = (await t.gql<{ ticket: { attachments: Att[] } }>(Q_ATTACHMENTS, { id: ticket }, { token: a.requester.token })).data!.ticket.attachments[0];
  });
  /** The link's own person fetches it (their session), as the console's page does. */
  const personOf = (url: string): Persona | undefined => {
    const id = url.split('/')[6];
    return [a, b].flatMap((x) => [x.owner, x.admin, x.agent, x.requester, x.requester2, x.lightAgent, x.auditor]).find((p) => p.id === id);
  };
  const get = (url: string, as: Persona | null | undefined = personOf(url)) => fetch(`${t.url}${url}`, { headers: as ? { authorization: `Bearer ${as.token}` } : {} });
  const urlFor = (p: Persona, tenant: TenantPersonas, attachmentId: string) =>
    as(p, tenant, async (ctx) => downloadUrl(ctx, attachmentId) as string);

  it('serves the file to who may see the ticket, safely', async () => {
    const res = await get(att.url);
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(PNG)).toBe(true);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('content-disposition')).toMatch(/^inline; filename="proof.png"/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'; sandbox/);
    expect((await get(await urlFor(a.agent, a, att.id))).status).toBe(200);
  });

  it('refuses a requester who cannot see the ticket (404, as a missing file)', async () => {
    const r = await t.gql(Q_ATTACHMENTS, { id: ticket }, { token: a.requester2.token });
    expect(r.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const theirs = await get(await urlFor(a.requester2, a, att.id));
    expect(theirs.status).toBe(404);
  });

  it('D2: a link signed for another workspace finds nothing there (404, as a missing one)', async () => {
    const res = await get(await urlFor(b.admin, b, att.id));
    expect(res.status).toBe(404);
    const missing = await get(await urlFor(b.admin, b, '00000000-0000-4000-8000-000000000000'));
    expect(await res.json()).toEqual(await missing.json());
  });

  it('B9: opens only for the person it was made for: with someone else’s session, or none, it is a 404', async () => {
    const url = await urlFor(a.agent, a, att.id);
    expect((await get(url)).status).toBe(200);
    expect((await get(url, null)).status).toBe(404);
    expect((await get(url, a.requester)).status).toBe(404); // pasted into a reply: the requester cannot use the agent's link
    expect((await get(url, a.admin)).status).toBe(404);
    expect((await get(url, b.owner)).status).toBe(404);
  });

  it('refuses an expired link, and a tampered one', async () => {
    const url = await urlFor(a.requester, a, att.id);
    expect((await get(url.replace(/[^/]{4}$/, 'AAAA'))).status).toBe(404);
    t.clock.advance(6 * 60_000);
    try {
      expect((await get(url)).status).toBe(404);
    } finally {
      t.clock.reset();
    }
  });

  it('stops when the person may no longer see the ticket (the link outlives nothing)', async () => {
    const url = await urlFor(a.requester, a, att.id);
    expect((await get(url)).status).toBe(200);
    // The ticket moves to another requester: the same link, within its minutes, finds nothing.
    await t.ownerSql(`update tickets set requester_id = $1 where id = $2`, [a.requester2.id, ticket]);
    try {
      expect((await get(url)).status).toBe(404);
    } finally {
      await t.ownerSql(`update tickets set requester_id = $1 where id = $2`, [a.requester.id, ticket]);
    }
    // Its person suspended: nothing either.
    const agentUrl = await urlFor(a.lightAgent, a, att.id);
    expect((await get(agentUrl)).status).toBe(200);
    await t.ownerSql(`update users set status = 'suspended' where id = $1`, [a.lightAgent.id]);
    try {
      expect((await get(agentUrl)).status).toBe(404);
    } finally {
      await t.ownerSql(`update users set status = 'active' where id = $1`, [a.lightAgent.id]);
    }
  });

  it('keeps internal notes’ files from requesters', async () => {
    const note = await t.gql<{ addComment: { id: string } }>(`mutation($id: ID!) { addComment(ticketId: $id, input: { body: "internal", public: false }) { id } }`, { id: ticket }, { token: a.agent.token });
    const id = await uploaded(a.agent, 'internal.png', PNG);
    await link(a.agent, a, [id], ticket, note.data!.addComment.id);
    expect((await get(await urlFor(a.agent, a, id))).status).toBe(200);
    expect((await get(await urlFor(a.requester, a, id))).status).toBe(404);
    const seen = await t.gql<{ ticket: { comments: { id: string; attachments: Att[] }[] } }>(Q_ATTACHMENTS, { id: ticket }, { token: a.agent.token });
    expect(seen.data?.ticket.comments.find((c) => c.id === note.data!.addComment.id)?.attachments.map((x) => x.id)).toEqual([id]);
  });

  it('answers 404, not a server error, for a file the storage lost', async () => {
    const id = await uploaded(a.requester, 'lost.png', PNG);
    await link(a.requester, a, [id], ticket);
    await filesOf(t.server.app).remove(`${a.tenantId}/${id}`);
    t.expectErrors(/an attachment has no stored file/);
    expect((await get(await urlFor(a.requester, a, id))).status).toBe(404);
  });

  it('E8: HTML and SVG an admin allowed are never served inline, nor as markup', async () => {
    await t.gql(`mutation { updateAttachmentSettings(input: { maxBytes: 1048576, allowedTypes: ["image/png", "image/svg+xml", "text/html", "text/plain"] }) { maxBytes } }`, {}, { token: b.admin.token });
    const ticketB = await ticketOf(b.requester, 'markup');
    for (const [name, body] of [['logo.svg', SVG], ['page.html', HTML], ['page.png', HTML]] as const) {
      const id = await uploaded(b.requester, name, body);
      await link(b.requester, b, [id], ticketB);
      const res = await get(await urlFor(b.requester, b, id));
      expect(res.status).toBe(200);
      expect(res.headers.get('content-disposition')).toMatch(/^attachment;/);
      expect(res.headers.get('content-type')).toBe('application/octet-stream');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });
});

describe('the fields cost one statement per page', () => {
  it('reads the attachments of a whole page of tickets in one statement', async () => {
    for (let i = 0; i < 3; i++) {
      const ticket = await ticketOf(a.agent, `page ${i}`);
      await link(a.agent, a, [await uploaded(a.agent, `p${i}.png`, PNG)], ticket);
      const reply = await t.gql<{ addComment: { id: string } }>(`mutation($id: ID!) { addComment(ticketId: $id, input: { body: "reply" }) { id } }`, { id: ticket }, { token: a.agent.token });
      await link(a.agent, a, [await uploaded(a.agent, `r${i}.png`, PNG)], ticket, reply.data!.addComment.id);
    }
    const run = (limit: number) =>
      t.countStatements(() => t.gql(`query($l: Int!) { tickets(page: { limit: $l }) { nodes { id attachments { id url } comments { attachments { id } } } } }`, { l: limit }, { token: a.agent.token }));
    const small = await run(2);
    const large = await run(20);
    const count = (s: string[]) => s.filter((x) => x.includes('ticket_attachments')).length;
    expect(count(small.statements)).toBe(count(large.statements));
    expect(count(large.statements)).toBe(2); // the tickets' files, and their comments' files
  });
});

describe('the sweeper', () => {
  it('removes uploads not put on a message within a day, and their files', async () => {
    const id = await uploaded(a.requester, 'forgotten.png', PNG);
    t.clock.advance(25 * 60 * 60_000);
    try {
      await sweepUnlinkedAttachments({ ...t.server.app, orm: t.server.orm });
    } finally {
      t.clock.reset();
    }
    expect(await t.ownerSql(`select 1 from ticket_attachments where id = $1`, [id])).toHaveLength(0);
  });

  it('removes the files of deleted tickets once a day has passed, and keeps the others', async () => {
    const kept = await uploaded(a.requester, 'kept.png', PNG);
    const keptTicket = await ticketOf(a.requester, 'kept');
    await link(a.requester, a, [kept], keptTicket);
    const gone = await uploaded(a.requester, 'gone.png', PNG);
    const goneTicket = await ticketOf(a.requester, 'deleted');
    await link(a.requester, a, [gone], goneTicket);
    const del = await t.gql(`mutation($id: ID!) { deleteTicket(id: $id) }`, { id: goneTicket }, { token: a.admin.token });
    expect(del.errors).toBeUndefined();
    const services = { ...t.server.app, orm: t.server.orm };
    expect(await sweepOrphanFiles(services)).toBe(0); // within the day's grace
    t.clock.advance(25 * 60 * 60_000);
    try {
      await sweepOrphanFiles(services);
    } finally {
      t.clock.reset();
    }
    const store = filesOf(t.server.app);
    expect(await store.exists(`${a.tenantId}/${gone}`)).toBe(false);
    expect(await store.exists(`${a.tenantId}/${kept}`)).toBe(true);
  });
});
