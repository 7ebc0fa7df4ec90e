import { Migration } from '@mikro-orm/migrations';

/** SSO enforcement per role (issue 17): the roles whose password sign-in is refused. */
export class Migration20261207000600SsoPolicy extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table identity_settings add column sso_required_roles text[] not null default '{}'`);
  }
}
