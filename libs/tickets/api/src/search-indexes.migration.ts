import { Migration } from '@mikro-orm/migrations';

/**
 * Under a forced row-level security policy PostgreSQL uses an index only for operators marked
 * LEAKPROOF (a qual that could leak rows through an error must wait for the policy's). The
 * full-text match (`@@`, ts_match_vq) and the array containment of the tag filter (`@>`,
 * arraycontains) are not marked, so search and tag filters read every row of the table: at
 * 100,000 tickets a search took 8× the list (tools/bench, `--scenario search`).
 *
 * Both raise no error that depends on the values they compare (only on types), so marking them
 * reveals nothing through errors. Marking needs a superuser: the migration does it when it runs as
 * one (the embedded database, most self-hosted servers) and otherwise warns with the two statements
 * for a database administrator (README, "Tickets: numbers, search, views, tags, rich text").
 */
export class Migration20261207001330SearchIndexes extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      do $$
      begin
        if (select rolsuper from pg_roles where rolname = current_user) then
          alter function ts_match_vq(tsvector, tsquery) leakproof;
          alter function arraycontains(anyarray, anyarray) leakproof;
        else
          raise warning 'Bulwark: ticket search and tag filters cannot use their indexes under row-level security until a superuser runs: ALTER FUNCTION ts_match_vq(tsvector, tsquery) LEAKPROOF; ALTER FUNCTION arraycontains(anyarray, anyarray) LEAKPROOF;';
        end if;
      end $$`);
  }
}
