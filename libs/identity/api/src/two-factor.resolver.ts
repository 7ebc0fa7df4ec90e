import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import { badInput, type RequestContext } from '@bulwark/platform-api';
import { LoginPayload } from './identity.types';
import {
  beginTwoFactorEnrolment,
  confirmTwoFactorEnrolment,
  disableTwoFactor,
  regenerateRecoveryCodes,
  resetTwoFactor,
  verifyTwoFactor,
} from './two-factor.service';
import { RecoveryCodes, TwoFactorEnrolment, VerifyTwoFactorInput } from './two-factor.types';

/** Two-factor sign-in with TOTP (RFC 6238): enrolment, the second sign-in step, recovery codes, admin reset. */
@Resolver()
export class TwoFactorResolver {
  @Mutation(() => TwoFactorEnrolment, { description: 'B8: needs a recent re-authentication. Starts enrolling an authenticator app' })
  beginTwoFactorEnrolment(@Ctx() ctx: RequestContext) {
    return beginTwoFactorEnrolment(ctx);
  }

  @Mutation(() => RecoveryCodes, {
    description: 'A current code from the new secret turns two-factor sign-in on; returns the recovery codes (shown once) and ends your other sessions',
  })
  async confirmTwoFactorEnrolment(@Arg('code') code: string, @Ctx() ctx: RequestContext) {
    if (code.length > 40) throw badInput('The code is too long', { code: 'too long' });
    return { codes: await confirmTwoFactorEnrolment(ctx, code) };
  }

  @Mutation(() => Boolean, {
    description: 'B8: needs a recent re-authentication. Turns two-factor sign-in off (unless your role requires it) and ends your other sessions; false when it was not on',
  })
  disableTwoFactor(@Ctx() ctx: RequestContext) {
    return disableTwoFactor(ctx);
  }

  @Mutation(() => RecoveryCodes, { description: 'B8: needs a recent re-authentication. New recovery codes (shown once); the old ones stop working' })
  async regenerateRecoveryCodes(@Ctx() ctx: RequestContext) {
    return { codes: await regenerateRecoveryCodes(ctx) };
  }

  @Mutation(() => LoginPayload, { description: 'The second sign-in step: the challenge from login and a code start the session (cookie and token)' })
  verifyTwoFactor(@Arg('input', () => VerifyTwoFactorInput) input: VerifyTwoFactorInput, @Ctx() ctx: RequestContext) {
    return verifyTwoFactor(ctx, input);
  }

  @Mutation(() => Boolean, {
    description: "Turns a person's two-factor sign-in off (lost device) and ends their sessions; needs a recent re-authentication. False when it was not on",
  })
  resetTwoFactor(@Arg('userId', () => ID) userId: string, @Ctx() ctx: RequestContext) {
    return resetTwoFactor(ctx, userId);
  }
}
