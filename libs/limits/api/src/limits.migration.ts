import { Migration } from '@mikro-orm/migrations';
import { RUNTIME_ROLE, tenantTable } from '@bulwark/platform-api';

/** Rate limits (H4): the tenants' budgets, and the shared counters when PostgreSQL keeps them. */
export class Migration20261207001100RateLimits extends Migration {
  override async up(): Promise<void> {
    for (const sql of tenantTable('rate_limit_settings', [
      'per_user integer check (per_user > 0)',
      'per_token integer check (per_token > 0)',
      'per_tenant integer check (per_tenant > 0)',
      'updated_at timestamptz not null default now()',
      'unique (tenant_id)',
    ])) {
      this.addSql(sql);
    }
    // rate-limiter-flexible's table (RateLimiterPostgres), made here because the runtime role, which
    // the limiter's pool runs as, may create nothing. No tenant_id: a key carries its tenant in its
    // text (`t:<tenant>:user:<id>`, D9) and anonymous keys have none; rows hold counts, never data,
    // and expire within a minute (the library deletes old ones). On Citus it stays on the coordinator.
    // UNLOGGED: a charge writes no WAL, so it waits for no disk flush (two logged upserts per
    // operation cost the 50-ticket list about a third of its throughput: tools/bench rate-limits).
    // A crash empties the table, which forgives at most a minute of counts; replicas need none.
    this.addSql(`create unlogged table rate_limit_counters (
      key varchar(255) primary key,
      points integer not null default 0,
      expire bigint
    )`);
    this.addSql(`grant select, insert, update, delete on rate_limit_counters to ${RUNTIME_ROLE}`);
  }
}
