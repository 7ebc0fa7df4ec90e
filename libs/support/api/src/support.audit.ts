import { defineAuditActions } from '@bulwark/platform-api';

/**
 * F3 "support access grants and every action taken under them": grants and their end, operators'
 * sign-ins, and one event per operation an operator makes, reads included (H1). What an operator
 * changes is also recorded as the change itself, with actor type `support` and the grant.
 */
export const SupportAudit = defineAuditActions('support', {
  accessGranted: { description: 'Granted vendor support access', target: 'SupportGrant', config: true, alert: 'permissionGranted' },
  accessRevoked: { description: 'Revoked vendor support access', target: 'SupportGrant', config: true },
  accessEnded: { description: 'Vendor support access ended (its ticket closed, or it expired)', target: 'SupportGrant' },
  signedIn: { description: 'A vendor support operator signed in under a grant', target: 'SupportGrant' },
  signInFailed: { description: 'A vendor support operator could not sign in', target: 'SupportGrant' },
  signedOut: { description: 'A vendor support operator signed out', target: 'SupportGrant' },
  operation: { description: 'Vendor support used the workspace under a grant (a read or a change)', target: 'Operation' },
});
