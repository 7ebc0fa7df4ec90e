import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '@bulwark/platform-api';
import { createConnection, deleteConnection, getConnection, listConnections, previewMapping, signInOptions, testConnection, updateConnection } from './connections.service';
import { SsoConnectionInput, SsoConnectionView, SsoMappingInput, SsoMappingPreview, SsoSignInOptions, SsoTestResult } from './sso.types';

@Resolver()
export class SsoResolver {
  @Query(() => [SsoConnectionView])
  ssoConnections(@Ctx() ctx: RequestContext) {
    return listConnections(ctx);
  }

  @Query(() => SsoConnectionView)
  ssoConnection(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return getConnection(ctx, id);
  }

  @Mutation(() => SsoConnectionView, { description: 'Needs a recent re-authentication; secrets are sealed and never shown again' })
  createSsoConnection(@Arg('input', () => SsoConnectionInput) input: SsoConnectionInput, @Ctx() ctx: RequestContext) {
    return createConnection(ctx, input);
  }

  @Mutation(() => SsoConnectionView, { description: 'Needs a recent re-authentication; an empty secret keeps the stored one' })
  updateSsoConnection(@Arg('id', () => ID) id: string, @Arg('input', () => SsoConnectionInput) input: SsoConnectionInput, @Ctx() ctx: RequestContext) {
    return updateConnection(ctx, id, input);
  }

  @Mutation(() => Boolean, { description: 'Needs a recent re-authentication; people linked through it sign in another way afterwards' })
  deleteSsoConnection(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return deleteConnection(ctx, id);
  }

  @Mutation(() => SsoTestResult, { description: "Reads the provider's configuration as a sign-in would, and reports" })
  testSsoConnection(@Arg('id', () => ID) id: string, @Ctx() ctx: RequestContext) {
    return testConnection(ctx, id);
  }

  @Query(() => SsoMappingPreview, { description: 'What a mapping would make of sample claims (a JSON object), before it is saved' })
  previewSsoMapping(@Arg('mapping', () => SsoMappingInput) mapping: SsoMappingInput, @Arg('claims') claims: string, @Ctx() ctx: RequestContext) {
    return previewMapping(ctx, mapping, claims.slice(0, 100_000));
  }

  @Query(() => SsoSignInOptions, { description: "The sign-in page: a workspace's SSO buttons, and where an email's domain goes" })
  ssoSignInOptions(@Arg('tenant') tenant: string, @Arg('email', () => String, { nullable: true }) email: string | null, @Ctx() ctx: RequestContext) {
    return signInOptions(ctx, tenant.slice(0, 63), email?.slice(0, 254));
  }
}
