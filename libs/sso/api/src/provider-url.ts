import { badInput, isInternalAddress, type RequestContext } from '@bulwark/platform-api';
import { lookup } from 'node:dns/promises';
import { ssoConfig } from './sso.config';

/**
 * An identity provider's URL that the server will fetch (an OIDC issuer, SAML metadata): HTTPS,
 * at a public address, unless private providers are allowed (BULWARK_SSO_ALLOW_PRIVATE_PROVIDERS,
 * on outside production). `field` names the input that carried it, for the error.
 */
export async function providerUrl(ctx: RequestContext, raw: string, field: string): Promise<URL> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw badInput('Enter a full URL, like https://login.example.com', { [field]: 'invalid' });
  }
  const { allowPrivateProviders } = ssoConfig.of(ctx.app.config);
  if (url.protocol !== 'https:' && !(allowPrivateProviders && url.protocol === 'http:')) {
    throw badInput('The identity provider must be reached over HTTPS', { [field]: 'not https' });
  }
  if (url.username || url.password) throw badInput('The URL cannot carry a user name or password', { [field]: 'credentials' });
  if (!allowPrivateProviders) {
    const addresses = await lookup(url.hostname, { all: true }).catch(() => []);
    if (!addresses.length) throw badInput(`${url.hostname} does not resolve`, { [field]: 'unresolved' });
    if (addresses.some((a) => isInternalAddress(a.address))) {
      throw badInput('The identity provider must be at a public address', { [field]: 'internal address' });
    }
  }
  return url;
}
