import { Migration } from '@mikro-orm/migrations';
import { RUNTIME_ROLE, tenantForeignKey, tenantTable } from '@bulwark/platform-api';

/**
 * Vendor support access (issue 18 §1; SECURITY.md H1, H2). Operators are the platform's own staff,
 * kept apart from every tenant's people (a reference table on Citus, like `tenants`). A tenant's
 * admin grants them access through a vendor support ticket of the tenant's own desk; an operator's
 * session belongs to one grant, and lives only while the grant does.
 */
export class Migration20261207000900Support extends Migration {
  override async up(): Promise<void> {
    this.addSql(`create table support_operators (
      id uuid primary key,
      email text not null unique check (length(email) between 3 and 254),
      name text not null check (length(name) between 1 and 200),
      password_hash text not null,
      totp_secret text not null,
      totp_last_step bigint,
      status text not null default 'active' check (status in ('active', 'suspended')),
      failed_count int not null default 0,
      locked_until timestamptz,
      created_at timestamptz not null default now()
    )`);
    // Sign-in reads an operator by email and counts failures; the CLI (the owner) creates and
    // suspends them. No tenant's RLS applies: this is not tenant data, and the runtime role may
    // not create operators.
    this.addSql(`grant select, update (totp_last_step, failed_count, locked_until) on support_operators to ${RUNTIME_ROLE}`);

    for (const sql of tenantTable('support_grants', [
      'ticket_id uuid not null',
      'granted_by uuid not null',
      "access text not null check (access in ('read_only', 'custom'))",
      'permissions text[] not null',
      // Empty: the whole support team; else these operators only.
      "operator_ids uuid[] not null default '{}'",
      'created_at timestamptz not null',
      'expires_at timestamptz not null',
      'ended_at timestamptz',
      "end_reason text check (end_reason in ('ticket_closed', 'expired', 'revoked'))",
      'ended_by uuid',
      // The admins were told that access ended (the sweeper's mark: once, by whichever process).
      'end_noticed_at timestamptz',
      'check ((ended_at is null) = (end_reason is null))',
      'check (expires_at > created_at)',
    ])) this.addSql(sql);
    this.addSql('create index support_grants_open on support_grants (tenant_id, ticket_id) where ended_at is null');

    for (const sql of tenantTable('support_sessions', [
      'grant_id uuid not null',
      'operator_id uuid not null references support_operators (id)',
      'token_hash bytea not null',
      'created_at timestamptz not null',
      'last_seen_at timestamptz not null',
      'expires_at timestamptz not null',
      'unique (tenant_id, token_hash)',
    ])) this.addSql(sql);

    this.addSql(tenantForeignKey('support_grants', ['ticket_id'], 'tickets', 'cascade'));
    this.addSql(tenantForeignKey('support_grants', ['granted_by'], 'users'));
    this.addSql(tenantForeignKey('support_sessions', ['grant_id'], 'support_grants', 'cascade'));

    // H2: a grant ends, for good, the moment its ticket is solved or closed, whichever path
    // changed the status (the API, a later mail channel, a job). It runs as the caller, under
    // RLS, in the ticket's own tenant and transaction: reopening the ticket finds it ended.
    this.addSql(`create function bulwark_support_ticket_closed() returns trigger
      language plpgsql security invoker as $$
      begin
        update support_grants set ended_at = now(), end_reason = 'ticket_closed'
          where tenant_id = new.tenant_id and ticket_id = new.id and ended_at is null;
        return new;
      end $$`);
    this.addSql(`create trigger support_ticket_closed after update of status on tickets
      for each row when (new.status in ('solved', 'closed') and old.status is distinct from new.status)
      execute function bulwark_support_ticket_closed()`);

    // An operator's session, in one round trip, like identity's: only while its grant is open
    // (not ended, not expired, its ticket neither solved nor closed, the granting admin still
    // active), the operator active and named by the grant, the session neither idle nor expired.
    this.addSql(`create function bulwark_support_principal(p_tenant uuid, p_hash bytea, p_now timestamptz, p_idle_minutes int)
      returns table (session_id uuid, operator_id uuid, operator_name text, operator_email text, grant_id uuid,
                     permissions text[], granted_by uuid, expires_at timestamptz, last_seen_at timestamptz)
      language plpgsql volatile security invoker as $$
      begin
        perform bulwark_enter_tenant(p_tenant);
        return query
          select s.id, o.id, o.name, o.email, g.id, g.permissions, g.granted_by, g.expires_at, s.last_seen_at
          from support_sessions s
          join support_grants g on g.tenant_id = s.tenant_id and g.id = s.grant_id
          join tickets t on t.tenant_id = g.tenant_id and t.id = g.ticket_id
          join users u on u.tenant_id = g.tenant_id and u.id = g.granted_by
          join support_operators o on o.id = s.operator_id
          where s.tenant_id = p_tenant and s.token_hash = p_hash
            and s.expires_at > p_now and s.last_seen_at > p_now - make_interval(mins => p_idle_minutes)
            and g.ended_at is null and g.expires_at > p_now
            and t.status not in ('solved', 'closed')
            and u.status = 'active'
            and o.status = 'active' and (cardinality(g.operator_ids) = 0 or o.id = any(g.operator_ids));
        if not found then
          perform bulwark_enter_tenant(null);
        end if;
      end $$`);
    this.addSql(`grant execute on function bulwark_support_principal(uuid, bytea, timestamptz, int) to ${RUNTIME_ROLE}`);

    // The sweeper's list across tenants (security definer, ids only): grants past their expiry
    // still open, and grants that ended whose admins were not told yet.
    this.addSql(`create function bulwark_support_grants_to_end(p_now timestamptz)
      returns table (tenant_id uuid, id uuid)
      language sql stable security definer set search_path = public, pg_temp as $$
        select tenant_id, id from support_grants
        where (ended_at is null and expires_at <= p_now) or (ended_at is not null and end_noticed_at is null)
        order by tenant_id limit 500
      $$`);
    this.addSql(`revoke all on function bulwark_support_grants_to_end(timestamptz) from public`);
    this.addSql(`grant execute on function bulwark_support_grants_to_end(timestamptz) to ${RUNTIME_ROLE}`);
  }
}
