import { Migration } from '@mikro-orm/migrations';

/**
 * Alert rules can mail (issue 19 §3): to listed addresses, and/or to every active owner and admin
 * as they are when the alert is raised (so a new admin is told without editing the rule).
 */
export class Migration20261207001160AlertMail extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table audit_alert_rules add column email_to text[] not null default '{}'`);
    this.addSql(`alter table audit_alert_rules add column email_admins boolean not null default false`);
    // At most 20 addresses (the API's limit); the column itself holds what the API let through.
    this.addSql(`alter table audit_alert_rules add constraint audit_alert_rules_email_to_size check (cardinality(email_to) <= 20)`);
  }
}
