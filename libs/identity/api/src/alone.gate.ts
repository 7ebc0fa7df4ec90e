import { badInput, type OperationGate } from '@bulwark/platform-api';

/**
 * Root fields declared `runsAlone` (ApiPlugin.operations: sign-in, its second step, reset links,
 * invitations, sign-up, password checks) are the only field of their operation: mixed with
 * others, one operation could act in two tenants (an event or a change filed under the wrong
 * one), or make a failed password check share the fate of unrelated work.
 */
export const aloneGate: OperationGate = {
  name: 'sign-in runs alone',
  async enter(ctx, op) {
    const alone = op.fields.filter((f) => ctx.app.operations.has(f, 'runsAlone'));
    if (op.fields.length > 1 && alone.length) throw badInput(`${alone.join(', ')} must be the only field of its operation`);
    return null;
  },
};
