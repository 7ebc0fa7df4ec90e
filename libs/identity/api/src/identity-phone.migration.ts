import { Migration } from '@mikro-orm/migrations';

/** A person's phone number: personal data, masked like email for roles without users.viewPii (D3). */
export class Migration20261121001300IdentityPhone extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table users add column phone text check (phone ~ '^[+]?[0-9 ().-]{4,32}$')`);
  }
}
