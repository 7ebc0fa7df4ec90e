import { defineConfig } from '@bulwark/platform-api';

/** Single sign-on's settings (README "Settings"). */
export const ssoConfig = defineConfig('sso', (env, kernel) => {
  const raw = env.BULWARK_SSO_ALLOW_PRIVATE_PROVIDERS;
  if (raw !== undefined && raw !== '' && raw !== '0' && raw !== '1') throw new Error(`BULWARK_SSO_ALLOW_PRIVATE_PROVIDERS must be 0 or 1, got "${raw}"`);
  const allowPrivate = raw === undefined || raw === '' ? kernel.env !== 'production' : raw === '1';
  return {
    /**
     * Identity providers on plain HTTP or at loopback and private addresses (a provider in the
     * same network, the tests' provider). Off in production unless set to 1: an admin's issuer or
     * metadata URL is fetched by the server, which must not become a way into its own network.
     */
    allowPrivateProviders: allowPrivate,
    /** How long a started sign-in waits for the provider's answer. */
    requestMinutes: 10,
  };
});
