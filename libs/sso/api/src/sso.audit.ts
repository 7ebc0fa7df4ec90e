import { defineAuditActions } from '@bulwark/platform-api';

/** Every SSO event (SECURITY.md F3): sign-ins, failures with their reason, links, provisioning, logouts. */
export const SsoAudit = defineAuditActions('sso', {
  connectionCreated: { description: 'Added a single sign-on connection', target: 'SsoConnection', config: true },
  connectionUpdated: { description: 'Changed a single sign-on connection', target: 'SsoConnection', config: true },
  connectionDeleted: { description: 'Removed a single sign-on connection', target: 'SsoConnection', config: true },
  signedIn: { description: 'Signed in with single sign-on', target: 'User' },
  signInFailed: { description: 'A single sign-on attempt failed', target: 'User', alert: 'failedSignIn' },
  userProvisioned: { description: 'A first single sign-on created an account', target: 'User' },
  identityLinked: { description: 'A first single sign-on linked an existing account', target: 'User' },
  loggedOutByProvider: { description: 'The identity provider signed a person out everywhere', target: 'User' },
});
