import { defineApiPlugin, withSystemContext, type BackgroundTask } from '@bulwark/platform-api';
import { supportCredential } from './credential';
import { supportActivityGuard } from './support.guard';
import { SupportAudit } from './support.audit';
import { supportCli } from './support.cli';
import { supportConfig } from './support.config';
import { SupportGrant, SupportOperator, SupportSession } from './support.entities';
import { Migration20261207000900Support } from './support.migration';
import { SupportPermission } from './support.permissions';
import { SupportResolver } from './support.resolver';
import { supportRules } from './support.rules';
import { endGrant } from './support.service';

/**
 * H2's other half: access that ended by expiry or by its ticket closing is already refused on
 * every request (the session lookup checks both); this removes the sessions, records the end and
 * tells the admins, once, whichever process gets there first.
 */
export async function sweepSupportAccess(services: Parameters<BackgroundTask['run']>[0]): Promise<void> {
  // Across tenants by a security definer function (ids only); each grant in its own tenant.
  const due = await services.orm.em.getConnection().execute<{ tenant_id: string; id: string }[]>('select * from bulwark_support_grants_to_end(?)', [services.now()]);
  for (const g of due) {
    await withSystemContext(services.orm, services, g.tenant_id, 'support access sweeper', (ctx) => endGrant(ctx, g.id)).catch((error: unknown) =>
      services.log.error('ending a support grant failed', { tenantId: g.tenant_id, grantId: g.id, error }),
    );
  }
}

const sweeper: BackgroundTask = {
  name: 'support access sweeper',
  intervalMs: (config) => supportConfig.of(config).sweepMs,
  run: sweepSupportAccess,
};

/**
 * Vendor support access (issue 18 §1; SECURITY.md H1, H2): the platform's operators reach a
 * workspace only through a grant its admin made with a vendor support request: scoped (never
 * beyond the admin), time-boxed, ended when the request is solved or closed, every operation
 * audited as the operator.
 */
export const supportPlugin = defineApiPlugin({
  name: 'support',
  permissions: [SupportPermission],
  entities: [SupportOperator, SupportGrant, SupportSession],
  resolvers: [SupportResolver],
  rules: supportRules,
  auditActions: [SupportAudit],
  migrations: [{ name: 'Migration20261207000900Support', class: Migration20261207000900Support }],
  credentials: [supportCredential],
  guards: [supportActivityGuard],
  operations: {
    supportSignIn: { runsAlone: true, hashesPassword: true, lockdownExempt: true },
  },
  background: [sweeper],
  cli: supportCli,
  config: supportConfig,
});

export { SupportPermission } from './support.permissions';
export { SupportAudit } from './support.audit';
