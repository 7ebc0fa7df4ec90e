import { Migration } from '@mikro-orm/migrations';

/** Re-authentication time per session (B8), and users that were deleted (kept, anonymised). */
export class Migration20261121000400IdentitySessions extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table sessions add column reauth_at timestamptz`);
    this.addSql(`alter table users drop constraint users_status_check`);
    this.addSql(`alter table users add constraint users_status_check check (status in ('active', 'suspended', 'invited', 'deleted'))`);
  }
}
