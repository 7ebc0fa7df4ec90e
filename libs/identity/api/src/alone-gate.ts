import { badInput, type OperationGate } from '@bulwark/platform-api';

/**
 * Operations that move to the tenant their input names (sign-in, its second step, reset links,
 * invitations, sign-up), and password checks, run alone: mixed with other root fields, one
 * operation could act in two tenants (an event or a change filed under the wrong one), or make
 * a failed password check share the fate of unrelated work.
 */
const ALONE = new Set(['login', 'verifyTwoFactor', 'requestPasswordReset', 'resetPassword', 'acceptInvitation', 'signUp', 'reauthenticate']);

export const aloneGate: OperationGate = {
  name: 'sign-in runs alone',
  async enter(_ctx, op) {
    if (op.fields.length > 1 && op.fields.some((f) => ALONE.has(f))) {
      throw badInput(`${op.fields.filter((f) => ALONE.has(f)).join(', ')} must be the only field of its operation`);
    }
    return null;
  },
};
