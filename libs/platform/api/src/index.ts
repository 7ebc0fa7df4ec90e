import 'reflect-metadata';

export * from './config';
export * from './context';
export * from './demo';
export * from './errors';
export * from './logger';
export * from './permissions';
export * from './plugin';
export * from './server';
export * from './system-context';
export { createCliKit, type CliKit, type CliDatabase, type CliCommands } from './cli';
export { createOrm, migrate, isReady } from './db/orm';
export { tenantTable, tenantPolicy, tenantForeignKey, RUNTIME_ROLE } from './db/rls';
export { TenantScoped, currentTenant, TENANT_FILTER } from './db/tenant-scoped';
export { Tenant } from './db/tenant.entity';
export { Migration20261207000000Platform } from './db/platform.migration';
export { citusPlan, parentsFirst, type CitusPlan, type CatalogQuery } from './db/citus';
export { startEmbeddedPostgres } from './db/embedded-postgres';
export { can, isAuthenticated, publicAccess, reachable } from './graphql/rules';
export { ruleSurface, effectiveRule } from './graphql/shield';
export { buildApiSchema, PermissionEnum } from './graphql/schema';
export { enterTenant, inTenantTransaction, setTenant } from './tenancy';
export { PageInput, SortDirection, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './graphql/paging';
export { GRAPHQL_LIMITS } from './graphql/server';
export { GraphQLDateTimeISO } from './graphql/scalars';
export { charCount, Length, MaxLength } from './graphql/lengths';
export { platformPlugin } from './platform.plugin';
export { isUuid } from './ids';
export { shieldMiddleware } from './graphql/shield';
export { createApollo } from './graphql/server';
export { selectsField, rootFieldArguments } from './graphql/selection';
export * from './mail';
export { isBlank, RICH_TEXT_HTML, sanitizeRichText, richTextToPlain, richBody, type RichBody } from './rich-text';
export {
  audit,
  auditDiff,
  auditJson,
  defineAuditActions,
  PlatformAudit,
  REDACTED,
  type AuditAction,
  type AuditActionDefinition,
  type AuditChanges,
  type AuditEvent,
  type AuditSink,
  type AuditReaction,
  type AuditOptions,
  type AuditedEntity,
  type AuditOutcome,
  type ActorType,
  AuditCatalog,
} from './audit';
export { drained, csvCell, streamExport, type ExportFile, type ExportFormat } from './streams';
export { withRouteContext } from './http/route-context';
export { readRawBody } from './http/input';
export { sealSecret, unsealSecret, unsealWithKeys } from './sealing';
export { isInternalAddress } from './http/addresses';
export { sessionCookieName, readCookie } from './http/app';
export { OneTimeLink, ONE_TIME_LINK_MINUTES, oneTimeLinkTable, createOneTimeLink, claimOneTimeLink, withClaimedLink, linkGone, type LinkKind } from './one-time-link';
export { defineDelivery, FinalDeliveryError, enqueue, retryOutboxRow, queueMail, mailDelivery, outboxConfig, deliverOutboxRow, type DeliveryKind, type OutboxLabel } from './outbox';
export { Migration20261207001150Outbox } from './db/outbox.migration';
export { OutboxMessage } from './db/outbox.entity';
export { defineJob, startJobs, noJobs, type JobDefinition, type JobQueue, type JobServices } from './jobs';
