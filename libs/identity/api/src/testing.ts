/** Personas for API tests: one tenant with a signed-in user per built-in role (STYLE.md 11). */
import { withSystemContext, type RequestContext } from '@bulwark/platform-api';
import { TEST_PEPPER, type TestServer } from '@bulwark/platform-api/testing';
import { randomUUID } from 'node:crypto';
import { createTenant, createUser } from './identity.service';
import { hashPassword } from './password';
import { newSessionToken } from './session-token';
import { Session } from './session.entity';
import { User } from './user.entity';

export const PERSONA_PASSWORD = 'persona password for tests';
let personaHash: Promise<string> | undefined;
/** One bcrypt hash (cost 12) per test process, shared by every persona. */
export const personaPasswordHash = () => (personaHash ??= hashPassword(TEST_PEPPER, PERSONA_PASSWORD, 12));

export interface Persona {
  id: string;
  email: string;
  role: string;
  token: string;
}

export interface TenantPersonas {
  tenantId: string;
  slug: string;
  owner: Persona;
  admin: Persona;
  agent: Persona;
  requester: Persona;
  /** A second requester, to check that requesters see only their own tickets. */
  requester2: Persona;
  lightAgent: Persona;
  auditor: Persona;
}

async function signIn(ctx: RequestContext, user: User): Promise<Persona> {
  const { token, hash } = newSessionToken(ctx.tenantId as string);
  const now = ctx.app.now();
  ctx.em.create(Session, { user, tokenHash: hash, createdAt: now, lastSeenAt: now, expiresAt: new Date(now.getTime() + 12 * 3600_000) });
  return { id: user.id, email: user.email, role: user.role, token };
}

export async function createPersonas(t: TestServer, slug: string): Promise<TenantPersonas> {
  const passwordHash = await personaPasswordHash();
  const tenantId = randomUUID();
  return withSystemContext(t.server.orm, t.server.app, tenantId, 'test personas', async (ctx) => {
    const { owner } = await createTenant(ctx, { slug, name: `Tenant ${slug}`, adminEmail: `owner@${slug}.test`, adminPasswordHash: passwordHash });
    const make = async (role: string, name: string) =>
      signIn(ctx, await createUser(ctx, { email: `${name}@${slug}.test`, name: `${name} of ${slug}`, role, passwordHash }));
    const personas: TenantPersonas = {
      tenantId,
      slug,
      owner: await signIn(ctx, owner),
      admin: await make('admin', 'admin'),
      agent: await make('agent', 'agent'),
      requester: await make('requester', 'requester'),
      requester2: await make('requester', 'requester2'),
      lightAgent: await make('light_agent', 'lightagent'),
      auditor: await make('auditor', 'auditor'),
    };
    await ctx.em.flush();
    return personas;
  });
}

/** A new session for a user, made directly (no bcrypt): for tests that spend sessions. */
export async function mintSession(t: TestServer, tenantId: string, userId: string): Promise<string> {
  return withSystemContext(t.server.orm, t.server.app, tenantId, 'test session', async (ctx) => {
    const user = await ctx.em.findOneOrFail(User, { id: userId });
    return (await signIn(ctx, user)).token;
  });
}
