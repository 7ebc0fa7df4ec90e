import { Migration } from '@mikro-orm/migrations';

/**
 * `bulwark_tenant_id()` is in every RLS policy. Created without a PARALLEL label it counted as
 * unsafe, which kept every query on a tenant table out of parallel plans. It is safe: it only reads
 * `app.tenant_id`, and a parallel worker starts with its leader's settings (transaction-local ones
 * included), so it sees the same tenant. Backups use this (a parallel COPY of a large tenant).
 */
export class Migration20261121001700PlatformParallelSafe extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter function bulwark_tenant_id() parallel safe`);
  }
}
