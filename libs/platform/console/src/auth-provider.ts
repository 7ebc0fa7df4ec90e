import type { AuthProvider } from 'react-admin';
import { gql, GraphQLRequestError } from './graphql';
import type { ConsolePlugin } from './plugin';

export interface Me {
  id: string;
  name: string;
  email: string;
  role: string;
  tenant: { slug: string; name: string };
  permissions: string[];
}

const ME = `{ me { id name email role tenant { slug name } permissions } }`;

/**
 * Sessions live in an HttpOnly cookie set by the API; the console keeps only who is signed in, in
 * memory, to answer react-admin's frequent questions without a request each time.
 */
export function buildAuthProvider(plugins: readonly ConsolePlugin[]): AuthProvider & { me(): Promise<Me> } {
  let cached: Promise<Me> | null = null;
  const me = () => (cached ??= gql<{ me: Me }>(ME).then((d) => d.me).catch((e) => ((cached = null), Promise.reject(e))));
  const access = new Map<string, Partial<Record<string, string>>>();
  for (const p of plugins) for (const r of p.resources ?? []) access.set(r.name, r.access);

  return {
    me,
    async login({ tenant, username, password }: { tenant: string; username: string; password: string }) {
      cached = null;
      await gql(`mutation($input: LoginInput!) { login(input: $input) { expiresAt } }`, {
        input: { tenant: tenant.trim(), email: username.trim(), password },
      });
      await me();
    },
    async logout() {
      const had = cached;
      cached = null;
      if (had) await gql(`mutation { logout }`).catch(() => undefined);
    },
    async checkAuth() {
      await me();
    },
    async checkError(error: unknown) {
      const e = error as GraphQLRequestError;
      if (e?.code === 'UNAUTHENTICATED' || e?.status === 401) {
        cached = null;
        throw error;
      }
    },
    async getIdentity() {
      const m = await me();
      return { id: m.id, fullName: m.name, tenant: m.tenant };
    },
    async getPermissions() {
      return (await me()).permissions;
    },
    async canAccess({ resource, action }: { resource: string; action: string }) {
      const needed = access.get(resource)?.[action];
      if (!needed) return false; // deny by default, like the server
      return (await me()).permissions.includes(needed);
    },
  };
}
