import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '@bulwark/platform-api';
import type { ApiToken } from './api-token.entity';
import { createApiToken, listApiTokens, revokeApiToken } from './api-tokens.service';
import { ApiTokenInput, ApiTokenView, NewApiTokenPayload } from './api-tokens.types';

const view = (t: ApiToken): ApiTokenView => ({
  id: t.id,
  name: t.name,
  permissions: t.permissions,
  createdBy: t.createdBy,
  createdAt: t.createdAt,
  expiresAt: t.expiresAt ?? null,
  lastUsedAt: t.lastUsedAt ?? null,
  lastUsedIp: t.lastUsedIp ?? null,
  revokedAt: t.revokedAt ?? null,
});

@Resolver()
export class ApiTokenResolver {
  @Query(() => [ApiTokenView], { description: "The workspace's API tokens, newest first (never their secrets)" })
  async apiTokens(@Ctx() ctx: RequestContext) {
    return (await listApiTokens(ctx)).map(view);
  }

  @Mutation(() => NewApiTokenPayload, { description: 'Needs a recent re-authentication; only permissions you hold' })
  async createApiToken(@Arg('input', () => ApiTokenInput) input: ApiTokenInput, @Ctx() ctx: RequestContext): Promise<NewApiTokenPayload> {
    const { token, apiToken } = await createApiToken(ctx, input);
    return { token, apiToken: view(apiToken) };
  }

  @Mutation(() => ApiTokenView, { description: 'The token stops working at once' })
  async revokeApiToken(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return view(await revokeApiToken(ctx, id));
  }
}
