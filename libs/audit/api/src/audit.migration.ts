import { Migration } from '@mikro-orm/migrations';
import { oneTimeLinkTable, RUNTIME_ROLE, tenantForeignKey, tenantTable } from '@bulwark/platform-api';

/**
 * The audit log (SECURITY.md F1, F2). Rows are appended only through `bulwark_audit_append`, which
 * holds the tenant's chain head for the rest of the transaction, so one tenant's events get
 * consecutive numbers in commit order and each hash covers the previous one. The runtime role
 * may read its tenant's rows (RLS) and call the append, verify and prune functions; it has no
 * UPDATE, DELETE or TRUNCATE grant, and a trigger refuses those to everyone else but the prune
 * path (which checkpoints the hash at the cut so the rest of the chain stays verifiable).
 */
export class Migration20261207000400Audit extends Migration {
  override async up(): Promise<void> {
    // Appended only by the owner-run functions below; the runtime role reads its tenant's rows.
    const events = [
      'seq bigint not null',
      'occurred_at timestamptz not null',
      "actor_type text not null check (actor_type in ('user', 'token', 'system', 'support', 'anonymous'))",
      'actor_id text',
      'actor_name text',
      'action text not null',
      'target_type text',
      'target_id text',
      "outcome text not null check (outcome in ('success', 'failure', 'denied'))",
      'ip text',
      'user_agent text',
      'request_id text',
      'changes jsonb',
      'details jsonb',
      'prev_hash bytea not null',
      'hash bytea not null',
      'unique (tenant_id, seq)',
    ];
    for (const sql of tenantTable('audit_events', events, { grants: 'select' })) this.addSql(sql);
    // The filters of the console list; each keeps the newest-first (seq) order for keyset paging.
    this.addSql(`create index audit_events_actor on audit_events (tenant_id, actor_id, seq)`);
    this.addSql(`create index audit_events_target on audit_events (tenant_id, target_id, seq)`);
    this.addSql(`create index audit_events_action on audit_events (tenant_id, action, seq)`);
    this.addSql(`create index audit_events_time on audit_events (tenant_id, occurred_at)`);
    this.addSql(`create index audit_events_action_time on audit_events (tenant_id, action, occurred_at)`);

    // The head of each tenant's chain, and where pruning cut it. Never granted to the runtime role.
    this.addSql(`create table audit_chain (
      tenant_id uuid primary key references tenants (id) on delete cascade,
      seq bigint not null,
      hash bytea not null
    )`);
    this.addSql(`create table audit_checkpoints (
      tenant_id uuid not null references tenants (id) on delete cascade,
      seq bigint not null,
      hash bytea not null,
      created_at timestamptz not null default now(),
      primary key (tenant_id, seq)
    )`);

    const settings = ['retention_days int not null default 365 check (retention_days between 90 and 3650)', 'updated_at timestamptz not null default now()', 'unique (tenant_id)'];
    for (const sql of tenantTable('audit_settings', settings)) this.addSql(sql);

    // The canonical form an event's hash covers: every column but the hash, in a fixed order,
    // as jsonb text (deterministic), the time in UTC to the millisecond.
    this.addSql(`create function bulwark_audit_canonical(e audit_events) returns bytea language sql stable as $$
      select convert_to(jsonb_build_array(
        e.tenant_id, e.seq, e.id,
        to_char(e.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
        e.actor_type, e.actor_id, e.actor_name, e.action, e.target_type, e.target_id, e.outcome,
        e.ip, e.user_agent, e.request_id, e.changes, e.details, encode(e.prev_hash, 'hex')
      )::text, 'UTF8')
    $$`);
    this.addSql(`create function bulwark_audit_genesis(p_tenant uuid) returns bytea language sql immutable as $$
      select sha256(convert_to('bulwark-audit-genesis:' || p_tenant::text, 'UTF8'))
    $$`);

    this.addSql(`create function bulwark_audit_append(p_events jsonb) returns bigint
      language plpgsql volatile security definer set search_path = public, pg_temp as $$
      declare
        t uuid := bulwark_tenant_id();
        s bigint;
        h bytea;
        e jsonb;
        r audit_events;
      begin
        if t is null then raise exception 'audit append needs the tenant set'; end if;
        -- The row lock serializes this tenant's appends until the transaction ends.
        select c.seq, c.hash into s, h from audit_chain c where c.tenant_id = t for update;
        if not found then
          insert into audit_chain (tenant_id, seq, hash) values (t, 0, bulwark_audit_genesis(t))
            on conflict (tenant_id) do nothing;
          select c.seq, c.hash into s, h from audit_chain c where c.tenant_id = t for update;
        end if;
        for e in select value from jsonb_array_elements(p_events) loop
          s := s + 1;
          r := null;
          r.tenant_id := t;
          r.seq := s;
          r.id := coalesce((e->>'id')::uuid, gen_random_uuid());
          r.occurred_at := date_trunc('milliseconds', (e->>'occurredAt')::timestamptz);
          r.actor_type := e->>'actorType';
          r.actor_id := e->>'actorId';
          r.actor_name := left(e->>'actorName', 200);
          r.action := e->>'action';
          r.target_type := e->>'targetType';
          r.target_id := e->>'targetId';
          r.outcome := e->>'outcome';
          r.ip := e->>'ip';
          r.user_agent := left(e->>'userAgent', 512);
          r.request_id := e->>'requestId';
          r.changes := nullif(e->'changes', 'null'::jsonb);
          r.details := nullif(e->'details', 'null'::jsonb);
          r.prev_hash := h;
          r.hash := sha256(h || bulwark_audit_canonical(r));
          insert into audit_events values (r.*);
          h := r.hash;
        end loop;
        update audit_chain set seq = s, hash = h where tenant_id = t;
        return s;
      end $$`);
    this.addSql(`revoke all on function bulwark_audit_append(jsonb) from public`);
    this.addSql(`grant execute on function bulwark_audit_append(jsonb) to ${RUNTIME_ROLE}`);

    // F1: no UPDATE ever; DELETE only inside bulwark_audit_prune (which sets the flag locally).
    this.addSql(`create function bulwark_audit_refuse() returns trigger language plpgsql as $$
      begin
        if tg_op = 'DELETE' and current_setting('bulwark.audit_prune', true) = 'on' then return old; end if;
        raise exception 'audit events are append-only (% refused)', tg_op using errcode = 'insufficient_privilege';
      end $$`);
    this.addSql(`create trigger audit_events_append_only before update or delete on audit_events
      for each row execute function bulwark_audit_refuse()`);
    this.addSql(`create trigger audit_events_no_truncate before truncate on audit_events
      for each statement execute function bulwark_audit_refuse()`);

    // F2: walks the tenant's chain from its last checkpoint (or genesis) and names the first
    // event whose number, link or content does not match; then checks the head, which catches
    // events deleted from the end.
    this.addSql(`create function bulwark_audit_verify()
      returns table (ok boolean, checked bigint, head_seq bigint, broken_seq bigint, broken_id uuid, reason text)
      language plpgsql stable security definer set search_path = public, pg_temp as $$
      declare
        t uuid := bulwark_tenant_id();
        s bigint := 0;
        h bytea;
        n bigint := 0;
        r audit_events;
        head audit_chain;
      begin
        if t is null then raise exception 'audit verify needs the tenant set'; end if;
        perform set_config('statement_timeout', '0', true);
        select c.seq, c.hash into s, h from audit_checkpoints c where c.tenant_id = t order by c.seq desc limit 1;
        if not found then
          s := 0; h := bulwark_audit_genesis(t);
        elsif not exists (select 1 from audit_events e where e.tenant_id = t and e.seq > s and e.action = 'audit.pruned'
                            and e.details->>'throughSeq' = s::text and e.details->>'hash' = encode(h, 'hex')) then
          -- A checkpoint is only believed with the chained event that recorded the cut.
          return query select false, 0::bigint, (select c.seq from audit_chain c where c.tenant_id = t), s, null::uuid,
            format('the retention checkpoint at event #%s has no matching audit.pruned event', s);
          return;
        end if;
        select * into head from audit_chain c where c.tenant_id = t;
        for r in select * from audit_events e where e.tenant_id = t and e.seq > s order by e.seq loop
          n := n + 1;
          if r.seq <> s + 1 then
            return query select false, n, head.seq, s + 1, null::uuid, format('event #%s is missing', s + 1);
            return;
          end if;
          if r.prev_hash <> h then
            return query select false, n, head.seq, r.seq, r.id, format('event #%s does not follow event #%s', r.seq, s);
            return;
          end if;
          if r.hash <> sha256(h || bulwark_audit_canonical(r)) then
            return query select false, n, head.seq, r.seq, r.id, format('event #%s was altered', r.seq);
            return;
          end if;
          s := r.seq;
          h := r.hash;
        end loop;
        if (head.seq is null and s <> 0) or head.seq <> s or head.hash <> h then
          return query select false, n, head.seq, s + 1, null::uuid, format('events after #%s are missing (the chain head is #%s)', s, head.seq);
          return;
        end if;
        return query select true, n, coalesce(head.seq, 0), null::bigint, null::uuid, null::text;
      end $$`);
    this.addSql(`revoke all on function bulwark_audit_verify() from public`);
    this.addSql(`grant execute on function bulwark_audit_verify() to ${RUNTIME_ROLE}`);

    // Retention: the only deleting path. It cuts a prefix of the chain older than the tenant's
    // retention (never under 90 days, whatever is passed), checkpoints the hash at the cut, and
    // appends an event saying so. The cutoff is the database's clock, not the caller's.
    this.addSql(`create function bulwark_audit_prune() returns bigint
      language plpgsql volatile security definer set search_path = public, pg_temp as $$
      declare
        t uuid := bulwark_tenant_id();
        days int;
        cut bigint;
        cut_hash bytea;
        n bigint;
      begin
        if t is null then raise exception 'audit prune needs the tenant set'; end if;
        -- One pruner per tenant at a time (several API processes run the job); the others skip.
        if not pg_try_advisory_xact_lock(hashtextextended('bulwark:audit-prune:' || t::text, 0)) then return 0; end if;
        perform set_config('statement_timeout', '0', true);
        select greatest(coalesce((select retention_days from audit_settings where tenant_id = t), 365), 90) into days;
        -- Only a prefix that is old throughout: the cut stops before the first recent event, so an
        -- event appended with a forged old time cannot pull recent ones out with it.
        select coalesce(min(seq), (select coalesce(max(seq), 0) + 1 from audit_events where tenant_id = t)) - 1 into cut
          from audit_events where tenant_id = t and occurred_at >= now() - make_interval(days => days);
        if cut is null or cut < 1 or not exists (select 1 from audit_events where tenant_id = t and seq <= cut) then return 0; end if;
        select hash into cut_hash from audit_events where tenant_id = t and seq = cut;
        -- SET LOCAL, like the tenant: on Citus the refusing trigger runs where the shard is.
        set local bulwark.audit_prune = 'on';
        delete from audit_events where tenant_id = t and seq <= cut;
        get diagnostics n = row_count;
        set local bulwark.audit_prune = '';
        insert into audit_checkpoints (tenant_id, seq, hash) values (t, cut, cut_hash);
        perform bulwark_audit_append(jsonb_build_array(jsonb_build_object(
          'occurredAt', now(), 'actorType', 'system', 'actorName', 'audit retention',
          'action', 'audit.pruned', 'targetType', 'AuditLog', 'outcome', 'success',
          'details', jsonb_build_object('deleted', n, 'throughSeq', cut, 'hash', encode(cut_hash, 'hex'), 'retentionDays', days))));
        return n;
      end $$`);
    this.addSql(`revoke all on function bulwark_audit_prune() from public`);
    this.addSql(`grant execute on function bulwark_audit_prune() to ${RUNTIME_ROLE}`);
    // The retention job's list: every tenant that has a chain (it then prunes each in its own
    // transaction, so no tenant's chain lock waits for another's).
    this.addSql(`create function bulwark_audit_tenants() returns setof uuid
      language sql stable security definer set search_path = public, pg_temp as $$
        select tenant_id from audit_chain order by tenant_id
      $$`);
    // Platform-wide events (the operators' lockdown switch) go into every tenant's chain. Owner only.
    this.addSql(`create function bulwark_audit_append_all(p_events jsonb) returns bigint
      language plpgsql volatile security definer set search_path = public, pg_temp as $$
      declare t uuid; n bigint := 0;
      begin
        for t in select tenant_id from audit_chain order by tenant_id loop
          perform bulwark_enter_tenant(t);
          perform bulwark_audit_append(p_events);
          n := n + 1;
        end loop;
        perform bulwark_enter_tenant(null);
        return n;
      end $$`);
    this.addSql(`revoke all on function bulwark_audit_append_all(jsonb) from public`);
    this.addSql(`revoke all on function bulwark_audit_tenants() from public`);
    this.addSql(`grant execute on function bulwark_audit_tenants() to ${RUNTIME_ROLE}`);

    // Alerts (issue 4 §6): rules over events, and what they raised with its webhook delivery.
    const rules = [
      'name text not null check (length(name) between 1 and 120)',
      'kind text not null',
      'threshold int not null default 1 check (threshold between 1 and 1000)',
      'window_minutes int not null default 15 check (window_minutes between 1 and 1440)',
      'webhook_url text check (length(webhook_url) <= 2000)',
      'webhook_secret_sealed text',
      'enabled boolean not null default true',
      'created_at timestamptz not null',
    ];
    for (const sql of tenantTable('audit_alert_rules', rules)) this.addSql(sql);
    const alerts = [
      'rule_id uuid',
      'rule_name text not null',
      'kind text not null',
      'subject text not null',
      'title text not null',
      'event_seq bigint not null',
      'event_id uuid',
      'created_at timestamptz not null',
      "delivery text not null default 'none' check (delivery in ('none', 'pending', 'delivered', 'failed'))",
      'attempts int not null default 0',
      'last_error text',
      'delivered_at timestamptz',
    ];
    for (const sql of tenantTable('audit_alerts', alerts)) this.addSql(sql);
    // Deleting a rule first lets go of its alerts (audit.service: deleteAlertRule); they keep its name.
    this.addSql(tenantForeignKey('audit_alerts', ['rule_id'], 'audit_alert_rules'));
    this.addSql(`create index audit_alerts_recent on audit_alerts (tenant_id, rule_id, subject, created_at)`);

    // One-time export links: the mutation (re-authenticated, audited) stores a hashed token; the
    // download streams once with it.
    for (const sql of oneTimeLinkTable('audit_exports', ["format text not null check (format in ('csv', 'ndjson'))", 'filter jsonb not null'])) {
      this.addSql(sql);
    }
  }
}
