import { describe, expect, it } from '@jest/globals';
import { generateSecret, HINTS, initialState, mappingInput, toInput, validate } from './connection.state';
import { errorAt, errorsOf } from './form-errors';

/** An error as the console's GraphQL client throws it (graphql.ts). */
const apiError = (code: string, serverMessage: string, fields?: Record<string, string>) =>
  Object.assign(new Error(`${serverMessage}${fields ? `: ${Object.values(fields).join('; ')}` : ''}`), { code, serverMessage, fields });

describe('the connection form', () => {
  it('sends only the kind’s own settings, an empty secret as “keep the stored one”', () => {
    const s = initialState('oidc');
    s.name = ' Okta ';
    s.domains = '@Example.com, example.org  acme.test';
    s.oidc = { issuer: ' https://login.example.com ', clientId: ' abc ', clientSecret: '', scopes: 'groups  offline_access' };
    const input = toInput(s);
    expect(input).toMatchObject({ name: 'Okta', kind: 'oidc', domains: ['example.com', 'example.org', 'acme.test'], saml: null, jwt: null });
    expect(input.oidc).toEqual({ issuer: 'https://login.example.com', clientId: 'abc', clientSecret: null, scopes: ['groups', 'offline_access'] });
  });

  it('sends the metadata from where the person chose to give it', () => {
    const s = initialState('saml');
    s.saml = { source: 'url', metadataXml: '<EntityDescriptor/>', fileName: 'old.xml', metadataUrl: 'https://idp.example.com/metadata', allowIdpInitiated: true };
    expect(toInput(s).saml).toEqual({ metadataXml: null, metadataUrl: 'https://idp.example.com/metadata', allowIdpInitiated: true });
    s.saml.source = 'file';
    expect(toInput(s).saml).toEqual({ metadataXml: '<EntityDescriptor/>', metadataUrl: null, allowIdpInitiated: true });
  });

  it('leaves blank mapping rules out', () => {
    expect(
      mappingInput({ roleClaim: ' roles ', roles: [{ value: ' helpdesk ', role: 'agent' }, { value: ' ', role: 'admin' }], groupClaim: '', groups: [{ value: 'x', groupId: '' }] }),
    ).toEqual({ roleClaim: 'roles', roles: [{ value: 'helpdesk', role: 'agent' }], groupClaim: null, groups: [] });
  });

  it('says what each empty or wrong field needs before asking the server', () => {
    const s = initialState('oidc');
    expect(Object.keys(validate(s, true, { secret: false })).sort()).toEqual(['name', 'oidc.clientId', 'oidc.clientSecret', 'oidc.issuer']);
    s.name = 'Okta';
    s.oidc = { issuer: 'https://login.example.com', clientId: 'abc', clientSecret: '', scopes: '' };
    expect(validate(s, false, { secret: true })).toEqual({}); // editing: the stored secret stays
    s.domains = 'example.com, localhost';
    expect(validate(s, false, { secret: true }).domains).toMatch(/^localhost is not a domain/);

    const j = initialState('jwt');
    j.name = 'Portal';
    j.jwt = { remoteLoginUrl: 'example.com/login', remoteLogoutUrl: '', sharedSecret: 'short', generated: false };
    expect(validate(j, true, { secret: false })).toEqual({ 'jwt.remoteLoginUrl': HINTS['jwt.remoteLoginUrl'], 'jwt.sharedSecret': HINTS['jwt.sharedSecret'] });
  });

  it('generates a 48-character secret from the browser’s random source', () => {
    const a = generateSecret();
    expect(a).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(generateSecret()).not.toBe(a);
  });
});

describe('a refused save', () => {
  it('puts the server’s sentence on the fields it names, a clash included', () => {
    expect(errorsOf(apiError('BAD_USER_INPUT', 'The identity provider must be reached over HTTPS', { 'oidc.issuer': 'not https' }), HINTS)).toEqual({
      fields: { 'oidc.issuer': 'The identity provider must be reached over HTTPS' },
      form: null,
    });
    const taken = errorsOf(apiError('CONFLICT', 'example.com is already served by the connection "Okta"', { 'domains.1': 'taken' }), HINTS);
    expect(errorAt(taken.fields, 'domains')).toBe('example.com is already served by the connection "Okta"');
  });

  it('words input validation in the form’s own hints, never the framework’s', () => {
    const e = apiError('BAD_USER_INPUT', 'Invalid input', { 'jwt.sharedSecret': 'sharedSecret must be longer than or equal to 32 characters', 'mapping.roles.0.value': 'value must be longer than or equal to 1 characters' });
    expect(errorsOf(e, HINTS).fields).toEqual({ 'jwt.sharedSecret': HINTS['jwt.sharedSecret'], 'mapping.roles.0.value': HINTS['mapping.roles'] });
  });

  it('keeps other refusals for the whole form', () => {
    expect(errorsOf(apiError('FORBIDDEN', 'Not allowed'), HINTS)).toEqual({ fields: {}, form: 'Not allowed' });
    expect(errorsOf(new Error('Cancelled: this needs your password'), HINTS)).toEqual({ fields: {}, form: 'Cancelled: this needs your password' });
  });
});
