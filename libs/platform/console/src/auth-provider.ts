import type { AuthProvider } from 'react-admin';
import { allows, buildAccessRules } from './access';
import type { Permission } from './generated/api';
import { gql, GraphQLRequestError } from './graphql';
import type { ConsolePlugin } from './plugin';

export interface Me {
  id: string;
  name: string;
  email: string;
  role: string;
  tenant: { slug: string; name: string };
  permissions: Permission[];
}

const ME = `{ me { id name email role tenant { slug name } permissions } }`;

/** Thrown by `login` when the password was right and a second factor is needed. */
export class TwoFactorChallenge extends Error {
  constructor(readonly challenge: string) {
    super('Enter the code from your authenticator app');
  }
}

/**
 * Sessions live in an HttpOnly cookie set by the API; the console keeps only who is signed in, in
 * memory, to answer react-admin's frequent questions without a request each time.
 */
export function buildAuthProvider(plugins: readonly ConsolePlugin[]): AuthProvider & { me(): Promise<Me> } {
  // Who is signed in, kept for a few seconds: react-admin asks often, and a session ended
  // elsewhere (single sign-out) must show within moments.
  let cached: Promise<Me> | null = null;
  let cachedAt = 0;
  // Someone was signed in on this page: a refusal now means their session ended elsewhere.
  let wasSignedIn = false;
  const me = () => {
    if (!cached || Date.now() - cachedAt > 10_000) {
      cachedAt = Date.now();
      cached = gql<{ me: Me }>(ME)
        .then((d) => {
          wasSignedIn = true;
          return d.me;
        })
        .catch((e) => {
          cached = null;
          return Promise.reject(e);
        });
    }
    return cached;
  };
  const rules = buildAccessRules(plugins);

  return {
    me,
    async login(params: { tenant: string; username: string; password: string } | { challenge: string; code: string }) {
      cached = null;
      if ('challenge' in params) {
        await gql(`mutation($input: VerifyTwoFactorInput!) { verifyTwoFactor(input: $input) { expiresAt } }`, {
          input: { challenge: params.challenge, code: params.code.trim() },
        });
      } else {
        const d = await gql<{ login: { twoFactorRequired: boolean; challenge: string | null } }>(
          `mutation($input: LoginInput!) { login(input: $input) { twoFactorRequired challenge } }`,
          { input: { tenant: params.tenant.trim(), email: params.username.trim(), password: params.password } },
        );
        if (d.login.twoFactorRequired && d.login.challenge) throw new TwoFactorChallenge(d.login.challenge);
      }
      await me();
    },
    async logout() {
      const had = cached;
      cached = null;
      wasSignedIn = false;
      if (had) await gql(`mutation { logout }`).catch(() => undefined);
    },
    async checkAuth() {
      try {
        await me();
      } catch (e) {
        const code = (e as GraphQLRequestError)?.code;
        // Too many requests, or the database away for a moment: still signed in. Signing the
        // person out would lose their page for a refusal that a retry in seconds gets past.
        if (wasSignedIn && (code === 'RATE_LIMITED' || code === 'SERVICE_UNAVAILABLE')) return;
        if (code !== 'UNAUTHENTICATED') throw e;
        // Ended elsewhere (sign out everywhere, the identity provider's logout, a timeout): said in
        // words of ours (react-admin then signs out, which forgets it). Never signed in on this
        // page: the sign-in page says enough.
        throw wasSignedIn ? new Error('Your session has ended. Sign in again to continue.') : { message: false };
      }
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
      return { id: m.id, fullName: m.name, tenant: m.tenant, role: m.role };
    },
    async getPermissions() {
      return (await me()).permissions;
    },
    // Everything the console shows or hides by permission asks here: resources, pages, dashboard
    // cards and the actions on them.
    async canAccess({ resource, action }: { resource: string; action: string }) {
      return allows(rules, (await me()).permissions, resource, action);
    },
  };
}
