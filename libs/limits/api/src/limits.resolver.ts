import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '@bulwark/platform-api';
import { rateLimits, updateRateLimits } from './limits.service';
import { RateLimitsInput, RateLimitsView } from './limits.types';

@Resolver()
export class LimitsResolver {
  @Query(() => RateLimitsView, { description: 'The workspace’s rate limits' })
  rateLimits(@Ctx() ctx: RequestContext) {
    return rateLimits(ctx);
  }

  @Mutation(() => RateLimitsView, { description: 'Sets the workspace’s rate limits (null: the default); needs a recent reauthenticate' })
  updateRateLimits(@Arg('input', () => RateLimitsInput) input: RateLimitsInput, @Ctx() ctx: RequestContext) {
    return updateRateLimits(ctx, input);
  }
}
