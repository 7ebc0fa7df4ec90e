import { loader, type RequestContext } from '@bulwark/platform-api';
import { IdentitySettings } from './security.entities';

/** The tenant's identity settings, read once per request; a tenant without a row gets defaults. */
export function identitySettings(ctx: RequestContext): Promise<IdentitySettings> {
  return loader(ctx, 'identity.settings', async () => (await ctx.em.findOne(IdentitySettings, {})) ?? ctx.em.create(IdentitySettings, {}));
}
