import { Migration } from '@mikro-orm/migrations';
import { RUNTIME_ROLE, tenantTable } from './rls';

/**
 * The outbox (SECURITY.md G9, outbox.ts): work a change causes (mail, alert webhooks) is a row
 * written in the change's own transaction, delivered afterwards by jobs. The payload is sealed
 * (it may carry a reset link) and dropped once delivered; the row stays as the delivery log.
 */
export class Migration20261207001150Outbox extends Migration {
  override async up(): Promise<void> {
    for (const sql of tenantTable('outbox', [
      'kind text not null',
      // Who it goes to and what it is, in words, for the delivery log (never the payload itself).
      'recipient text not null',
      'summary text not null',
      'payload text',
      `status text not null default 'pending' check (status in ('pending', 'delivered', 'failed'))`,
      'attempts integer not null default 0',
      'last_error text',
      'next_attempt_at timestamptz not null',
      'created_at timestamptz not null',
      'delivered_at timestamptz',
    ])) {
      this.addSql(sql);
    }
    this.addSql(`create index outbox_due on outbox (next_attempt_at) where status = 'pending'`);
    this.addSql(`create index outbox_log on outbox (tenant_id, created_at desc)`);

    // The sweeper's list across tenants (security definer, ids only): pending rows whose time has
    // come and that no job took (a crash between commit and queueing, a lost job). A row found
    // twice costs one skipped query: delivery claims it with FOR UPDATE SKIP LOCKED.
    this.addSql(`create function bulwark_outbox_due(p_before timestamptz, p_limit int)
      returns table (tenant_id uuid, id uuid)
      language sql stable security definer set search_path = public, pg_temp as $$
        select tenant_id, id from outbox where status = 'pending' and next_attempt_at <= p_before
        order by next_attempt_at limit p_limit
      $$`);
    this.addSql(`revoke all on function bulwark_outbox_due(timestamptz, int) from public`);
    this.addSql(`grant execute on function bulwark_outbox_due(timestamptz, int) to ${RUNTIME_ROLE}`);
  }
}
