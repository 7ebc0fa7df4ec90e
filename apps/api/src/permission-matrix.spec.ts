/**
 * The permission matrix: every built-in role × every root query and mutation, allowed or
 * FORBIDDEN exactly as EXPECTED says. EXPECTED is the reviewed source of truth: a change here is a
 * change of who may do what. "Allowed" means the rules let the call through; the call may still
 * fail for its own reasons (a dummy id is NOT_FOUND, a sensitive one is REAUTH_REQUIRED).
 */
import { buildApiSchema, composeApi, BUILT_IN_ROLES } from '@bulwark/platform-api';
import { startTestServer, type TestServer } from '@bulwark/platform-api/testing';
import { createPersonas, mintSession, type TenantPersonas } from '@bulwark/identity-api/testing';
import {
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import { apiPlugins } from '@bulwark/composition-api';

type Role = (typeof BUILT_IN_ROLES)[number];
const ALL: Role[] = [...BUILT_IN_ROLES];
const STAFF: Role[] = ['owner', 'admin', 'agent', 'light_agent', 'auditor'];
const ADMINS: Role[] = ['owner', 'admin'];
const AUDIT_READERS: Role[] = ['owner', 'admin', 'auditor'];

/** Who may call each root field. 'public' fields answer anyone, signed in or not. */
const EXPECTED: Record<string, Role[] | 'public'> = {
  'Query.me': ALL,
  'Query.users': STAFF,
  'Query.identitySettings': ADMINS,
  'Query.passwordPolicy': ALL,
  'Query.mySessions': ALL,
  'Query.apiTokens': ADMINS,
  'Query.organizations': STAFF,
  'Query.organization': STAFF,
  'Query.roles': ['owner', 'admin', 'auditor'],
  'Query.permissionCatalog': ['owner', 'admin', 'auditor'],
  'Query.accessSettings': ADMINS,
  'Query.rateLimits': ADMINS,
  'Query.accessStatus': ALL,
  'Query.auditEvents': AUDIT_READERS,
  'Query.auditEvent': AUDIT_READERS,
  'Query.auditActions': AUDIT_READERS,
  'Query.auditActivity': AUDIT_READERS,
  'Query.auditSettings': AUDIT_READERS,
  'Query.alertKinds': AUDIT_READERS,
  'Query.alertRules': AUDIT_READERS,
  'Query.securityAlerts': AUDIT_READERS,
  'Query.deliveries': ADMINS,
  'Query.ticketGroups': STAFF,
  'Query.backupRuns': AUDIT_READERS,
  'Query.backupSchedule': AUDIT_READERS,
  'Query.tickets': ALL,
  'Query.ticket': ALL,
  'Query.views': ALL,
  // The rule lets every reader through; the resolver refuses those who are not the desk's staff.
  'Query.ticketTags': STAFF,
  'Mutation.createView': ALL,
  'Mutation.deleteView': ALL,
  'Mutation.login': 'public',
  'Mutation.verifyTwoFactor': 'public',
  'Mutation.requestPasswordReset': 'public',
  'Mutation.resetPassword': 'public',
  'Mutation.acceptInvitation': 'public',
  'Mutation.signUp': 'public',
  'Query.ssoSignInOptions': 'public',
  'Query.supportGrants': AUDIT_READERS,
  'Query.supportOperators': ADMINS,
  'Query.supportAccessStatus': ALL,
  'Mutation.supportSignIn': 'public',
  'Mutation.requestVendorSupport': ADMINS,
  'Mutation.grantSupportAccess': ADMINS,
  'Mutation.revokeSupportAccess': ADMINS,
  'Query.ssoConnections': ADMINS,
  'Query.ssoConnection': ADMINS,
  'Query.previewSsoMapping': ADMINS,
  'Mutation.createSsoConnection': ADMINS,
  'Mutation.updateSsoConnection': ADMINS,
  'Mutation.deleteSsoConnection': ADMINS,
  'Mutation.testSsoConnection': ADMINS,
  'Mutation.logout': ALL,
  'Mutation.changePassword': ALL,
  'Mutation.updateMyProfile': ALL,
  'Mutation.reauthenticate': ALL,
  'Mutation.revokeSession': ALL,
  'Mutation.revokeOtherSessions': ALL,
  'Mutation.beginTwoFactorEnrolment': ALL,
  'Mutation.confirmTwoFactorEnrolment': ALL,
  'Mutation.disableTwoFactor': ALL,
  'Mutation.regenerateRecoveryCodes': ALL,
  'Mutation.inviteUser': ADMINS,
  'Mutation.unlockUser': ADMINS,
  'Mutation.suspendUser': ADMINS,
  'Mutation.reactivateUser': ADMINS,
  'Mutation.deleteUser': ADMINS,
  'Mutation.changeUserRole': ADMINS,
  'Mutation.updateUser': ADMINS,
  'Mutation.createOrganization': ADMINS,
  'Mutation.updateOrganization': ADMINS,
  'Mutation.deleteOrganization': ADMINS,
  'Mutation.signOutUser': ADMINS,
  'Mutation.resetTwoFactor': ADMINS,
  'Mutation.signOutEveryone': ADMINS,
  'Mutation.updateIdentitySettings': ADMINS,
  'Mutation.createApiToken': ADMINS,
  'Mutation.revokeApiToken': ADMINS,
  'Mutation.createRole': ADMINS,
  'Mutation.updateRole': ADMINS,
  'Mutation.deleteRole': ADMINS,
  'Mutation.setIpAllowlist': ADMINS,
  'Mutation.setLockdown': ADMINS,
  'Mutation.updateRateLimits': ADMINS,
  'Mutation.verifyAuditChain': AUDIT_READERS,
  'Mutation.exportAuditLog': AUDIT_READERS,
  'Mutation.setAuditRetention': ADMINS,
  'Mutation.createAlertRule': ADMINS,
  'Mutation.updateAlertRule': ADMINS,
  'Mutation.deleteAlertRule': ADMINS,
  'Mutation.retryDelivery': ADMINS,
  'Mutation.updateBackupSchedule': ADMINS,
  'Mutation.setBackupEncryption': ADMINS,
  'Mutation.runBackupNow': ADMINS,
  'Mutation.restoreBackup': ['owner'],
  'Mutation.downloadBackup': ADMINS,
  'Mutation.createTicket': ['owner', 'admin', 'agent', 'light_agent', 'requester'],
  'Mutation.updateTicket': ['owner', 'admin', 'agent'],
  'Mutation.deleteTicket': ADMINS,
  'Mutation.createTicketGroup': ADMINS,
  'Mutation.updateTicketGroup': ADMINS,
  'Mutation.deleteTicketGroup': ADMINS,
  'Mutation.addComment': ['owner', 'admin', 'agent', 'light_agent', 'requester'],
  // D12: a file of every ticket in one's scope, people's addresses included: admins only (and a
  // recent password confirmation, which the service asks for).
  'Mutation.exportTickets': ADMINS,
  // H3: the spam watcher's rules and its quarantine queue (tickets.moderate).
  'Query.spamSettings': ADMINS,
  'Query.spamQuarantines': ADMINS,
  'Mutation.updateSpamSettings': ADMINS,
  'Mutation.releaseQuarantine': ADMINS,
  'Mutation.blockQuarantine': ADMINS,
  'Mutation.deleteQuarantinedTickets': ADMINS,
  // Attachments (issue 20 §5): the limits are shown to whoever may open tickets (the upload says
  // them); admins set them (attachments.manage). Uploads and downloads are HTTP routes with the
  // ticket's own checks (libs/tickets/api/src/attachments.spec.ts).
  'Query.attachmentSettings': ALL,
  'Mutation.updateAttachmentSettings': ADMINS,
  // The email channel (issue 19): mail settings, the held-mail queue and the wording of outbound mail are the mail admin's.
  'Query.mailSettings': ADMINS,
  'Query.heldMails': ADMINS,
  'Query.mailTemplates': ADMINS,
  'Query.previewMailTemplate': ADMINS,
  'Query.mailSigningKey': ADMINS,
  'Mutation.updateMailTemplate': ADMINS,
  'Mutation.resetMailTemplate': ADMINS,
  'Mutation.updateMailSettings': ADMINS,
  'Mutation.rotateMailInboundSecret': ADMINS,
  'Mutation.releaseHeldMail': ADMINS,
  'Mutation.discardHeldMail': ADMINS,
};

/** A harmless value of a type: random ids, false, empty optional parts, off switches. */
function dummy(type: GraphQLInputType): unknown {
  const t = getNullableType(type) as GraphQLInputType;
  if (isListType(t)) return [];
  const named = getNamedType(t);
  if (isEnumType(named)) return named.getValues()[0].value === 'off' ? 'off' : named.getValues()[0].name;
  if (isInputObjectType(named)) {
    const out: Record<string, unknown> = {};
    for (const f of Object.values(named.getFields())) if (isNonNullType(f.type) && f.defaultValue === undefined) out[f.name] = dummy(f.type);
    return out;
  }
  if (isScalarType(named)) {
    if (named.name === 'ID') return '00000000-0000-4000-8000-00000000abcd';
    if (named.name === 'Boolean') return false;
    if (named.name === 'Int' || named.name === 'Float') return 1;
    return 'matrix dummy value';
  }
  return null;
}

function operation(root: 'query' | 'mutation', field: GraphQLField<unknown, unknown>) {
  const args = field.args.filter((a) => isNonNullType(a.type));
  const vars = args.map((a) => `$${a.name}: ${a.type.toString()}`).join(', ');
  const call = args.length ? `(${args.map((a) => `${a.name}: $${a.name}`).join(', ')})` : '';
  const selection = isObjectType(getNamedType(field.type)) ? ' { __typename }' : '';
  // setIpAllowlist's mode is a string: "off" keeps the matrix from locking anyone out.
  const variables = Object.fromEntries(args.map((a) => [a.name, field.name === 'setIpAllowlist' ? { mode: 'off', rules: [] } : dummy(a.type)]));
  return { query: `${root}${vars ? `(${vars})` : ''} { ${field.name}${call}${selection} }`, variables };
}

let t: TestServer;
let p: TenantPersonas;
let schema: GraphQLSchema;
const personaOf: Record<Role, keyof TenantPersonas> = {
  owner: 'owner',
  admin: 'admin',
  agent: 'agent',
  light_agent: 'lightAgent',
  auditor: 'auditor',
  requester: 'requester',
};

beforeAll(async () => {
  t = await startTestServer(apiPlugins);
  p = await createPersonas(t, 'matrix');
  schema = await buildApiSchema(composeApi(apiPlugins));
});
afterAll(() => t?.close());

describe('permission matrix: built-in roles × root fields', () => {
  it('lists every root field in the reviewed table', () => {
    const fields = [schema.getQueryType()!, schema.getMutationType()!].flatMap((r) => Object.keys(r.getFields()).map((f) => `${r.name}.${f}`));
    expect(fields.sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it('allows and forbids exactly as the table says', async () => {
    const actual: Record<string, Role[] | 'public'> = {};
    for (const root of [schema.getQueryType()!, schema.getMutationType()!]) {
      for (const field of Object.values(root.getFields())) {
        const key = `${root.name}.${field.name}`;
        const op = operation(root.name === 'Query' ? 'query' : 'mutation', field);
        const allowed: Role[] = [];
        for (const role of ALL) {
          const persona = p[personaOf[role]] as { id: string };
          const token = await mintSession(t, p.tenantId, persona.id); // spent by logout-like calls
          const r = await t.gql(op.query, op.variables, { token });
          const codes = (r.errors ?? []).map((e) => e.extensions?.code);
          if (r.status === 400) throw new Error(`${key}: the generated call is invalid: ${JSON.stringify(r.errors)}`);
          if (codes.includes('UNAUTHENTICATED') && EXPECTED[key] !== 'public') throw new Error(`${key} as ${role}: UNAUTHENTICATED with a fresh session`);
          if (!codes.includes('FORBIDDEN')) allowed.push(role);
        }
        actual[key] = EXPECTED[key] === 'public' && allowed.length === ALL.length ? 'public' : allowed;
      }
    }
    expect(actual).toEqual(EXPECTED);
  }, 120_000);

  it('answers public fields without a session, and nothing else', async () => {
    for (const root of [schema.getQueryType()!, schema.getMutationType()!]) {
      for (const field of Object.values(root.getFields())) {
        const key = `${root.name}.${field.name}`;
        const op = operation(root.name === 'Query' ? 'query' : 'mutation', field);
        const r = await t.gql(op.query, op.variables);
        const e = r.errors?.[0];
        // The rules' own refusal ("Sign in first"), not a public field's failure such as A9's
        // "Invalid email or password", which is UNAUTHENTICATED too.
        const refused = e?.extensions?.code === 'FORBIDDEN' || (e?.extensions?.code === 'UNAUTHENTICATED' && e.message === 'Sign in first');
        expect({ key, refused }).toEqual({ key, refused: EXPECTED[key] !== 'public' });
      }
    }
  });
});
