import { badInput, type RequestContext } from '@bulwark/platform-api';
import type { SamlSettings, SsoConnection } from './sso.entities';
import type { SamlSettingsInput, SsoCheck, SsoEndpoint } from './sso.types';

/** Reads the provider's metadata (uploaded XML or URL) into the settings a sign-in checks against. */
export async function samlSettings(_ctx: RequestContext, _input: SamlSettingsInput, _previous: SamlSettings | null): Promise<SamlSettings> {
  throw badInput('SAML connections are being built', { saml: 'unavailable' });
}

/** Our URLs for a SAML provider: metadata, ACS, single logout, entity id. */
export function samlEndpoints(_ctx: RequestContext, _slug: string, _id: string): SsoEndpoint[] {
  return [];
}

export async function testSaml(_ctx: RequestContext, _c: SsoConnection): Promise<SsoCheck[]> {
  return [];
}
