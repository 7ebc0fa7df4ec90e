import type { RequestContext } from '@bulwark/platform-api';
import { CORE_GROUP, CORE_USER } from './filter';
import { listResponse, MAX_COUNT, scimBase } from './resources';
import type { Doc } from './patch';
import { notFound } from './scim.errors';

/** RFC 7644 §4: what this service provider supports, its resource types and their schemas. */

export function serviceProviderConfig(ctx: RequestContext): Doc {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_COUNT },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'Bulwark API token',
        description: 'A Bulwark API token (bwt_…) with the scim.provision permission, sent as "Authorization: Bearer bwt_…"',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${scimBase(ctx)}/ServiceProviderConfig` },
  };
}

const RESOURCE_TYPES = [
  { id: 'User', name: 'User', endpoint: '/Users', description: 'People of the workspace', schema: CORE_USER },
  { id: 'Group', name: 'Group', endpoint: '/Groups', description: 'Ticket groups of staff', schema: CORE_GROUP },
];

const resourceType = (ctx: RequestContext, t: (typeof RESOURCE_TYPES)[number]): Doc => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
  ...t,
  schemaExtensions: [],
  meta: { resourceType: 'ResourceType', location: `${scimBase(ctx)}/ResourceTypes/${t.id}` },
});

export const resourceTypes = (ctx: RequestContext) => listResponse(RESOURCE_TYPES.map((t) => resourceType(ctx, t)), RESOURCE_TYPES.length, 1);

export function oneResourceType(ctx: RequestContext, id: string): Doc {
  const t = RESOURCE_TYPES.find((r) => r.id.toLowerCase() === id.toLowerCase());
  if (!t) throw notFound('Resource');
  return resourceType(ctx, t);
}

interface Attr {
  name: string;
  type: 'string' | 'boolean' | 'complex' | 'reference';
  multiValued?: boolean;
  description: string;
  required?: boolean;
  mutability?: 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
  returned?: 'always' | 'default' | 'never';
  uniqueness?: 'none' | 'server';
  caseExact?: boolean;
  subAttributes?: Attr[];
  referenceTypes?: string[];
}

const attr = (a: Attr): Doc => ({
  name: a.name,
  type: a.type,
  multiValued: a.multiValued ?? false,
  description: a.description,
  required: a.required ?? false,
  caseExact: a.caseExact ?? false,
  mutability: a.mutability ?? 'readWrite',
  returned: a.returned ?? 'default',
  uniqueness: a.uniqueness ?? 'none',
  ...(a.referenceTypes ? { referenceTypes: a.referenceTypes } : {}),
  ...(a.subAttributes ? { subAttributes: a.subAttributes.map(attr) } : {}),
});

const text = (name: string, description: string, extra: Partial<Attr> = {}): Attr => ({ name, type: 'string', description, ...extra });
const valueOf = (description: string, extra: Partial<Attr> = {}): Attr[] => [
  text('value', description, extra),
  text('display', 'A human-readable name', { mutability: 'readOnly' }),
  text('type', 'A label (work, home…)'),
  { name: 'primary', type: 'boolean', description: 'The preferred value' },
];

const SCHEMAS: { id: string; name: string; description: string; attributes: Attr[] }[] = [
  {
    id: CORE_USER,
    name: 'User',
    description: 'A person of the workspace',
    attributes: [
      text('userName', "Unique in the workspace, case-insensitive; the person's email unless the provider sends another", { required: true, uniqueness: 'server' }),
      {
        name: 'name',
        type: 'complex',
        description: "The person's name",
        subAttributes: ['formatted', 'familyName', 'givenName', 'middleName', 'honorificPrefix', 'honorificSuffix'].map((n) => text(n, `The ${n} part of the name`)),
      },
      text('displayName', 'The name Bulwark shows (else name.formatted, else the parts of name)'),
      { name: 'active', type: 'boolean', description: 'false suspends the person: sessions end and their API tokens are revoked' },
      { name: 'emails', type: 'complex', multiValued: true, description: 'One address is kept: the primary, else the work one', subAttributes: valueOf('The email address') },
      {
        name: 'roles',
        type: 'complex',
        multiValued: true,
        description: 'One role: a built-in role other than owner (admin, agent, light_agent, auditor, requester) or a custom role key (role:<id>); new people are requesters unless given one',
        subAttributes: valueOf("The role's key"),
      },
      {
        name: 'groups',
        type: 'complex',
        multiValued: true,
        description: 'The groups the person is in',
        mutability: 'readOnly',
        subAttributes: [...valueOf("The group's id", { mutability: 'readOnly' }), { name: '$ref', type: 'reference', referenceTypes: ['Group'], description: "The group's URI", mutability: 'readOnly' }],
      },
    ],
  },
  {
    id: CORE_GROUP,
    name: 'Group',
    description: 'A ticket group of staff',
    attributes: [
      text('displayName', "The group's name, unique in the workspace (1 to 80 characters)", { required: true, uniqueness: 'server' }),
      {
        name: 'members',
        type: 'complex',
        multiValued: true,
        description: 'People of the workspace with a staff role',
        subAttributes: [...valueOf("The person's id", { mutability: 'immutable' }), { name: '$ref', type: 'reference', referenceTypes: ['User'], description: "The person's URI", mutability: 'immutable' }],
      },
    ],
  },
];

const schema = (ctx: RequestContext, s: (typeof SCHEMAS)[number]): Doc => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
  id: s.id,
  name: s.name,
  description: s.description,
  attributes: s.attributes.map(attr),
  meta: { resourceType: 'Schema', location: `${scimBase(ctx)}/Schemas/${s.id}` },
});

export const schemas = (ctx: RequestContext) => listResponse(SCHEMAS.map((s) => schema(ctx, s)), SCHEMAS.length, 1);

export function oneSchema(ctx: RequestContext, id: string): Doc {
  const s = SCHEMAS.find((x) => x.id.toLowerCase() === id.toLowerCase());
  if (!s) throw notFound('Resource');
  return schema(ctx, s);
}
