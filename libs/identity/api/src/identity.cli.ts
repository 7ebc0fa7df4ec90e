import type { CliCommands } from '@bulwark/platform-api';
import { randomUUID } from 'node:crypto';
import { createTenant } from './identity.service';

/** Exactly one source for the password; stdin and the environment keep it out of `ps`. */
async function passwordFrom(o: { adminPassword?: string; adminPasswordStdin?: boolean; adminPasswordEnv?: string }): Promise<string> {
  const given = [o.adminPassword !== undefined, !!o.adminPasswordStdin, !!o.adminPasswordEnv].filter(Boolean).length;
  if (given !== 1) throw new Error('give the password with exactly one of --admin-password, --admin-password-stdin, --admin-password-env');
  if (o.adminPassword !== undefined) return o.adminPassword;
  if (o.adminPasswordEnv) {
    const v = process.env[o.adminPasswordEnv];
    if (!v) throw new Error(`environment variable ${o.adminPasswordEnv} is empty or not set`);
    return v;
  }
  let data = '';
  for await (const chunk of process.stdin) data += chunk;
  return data.replace(/\r?\n$/, '');
}

type CreateOptions = { slug: string; name: string; adminEmail: string; adminPassword?: string; adminPasswordStdin?: boolean; adminPasswordEnv?: string; adminName: string };

/** `tenant create`: a workspace and its first owner, for scripts. */
export const identityCli: CliCommands = (program, kit) => {
  const tenant = program.command('tenant').description('manage workspaces (tenants)');
  tenant
    .command('create')
    .description('create a workspace with its first owner (non-interactive, for scripts)')
    .requiredOption('--slug <slug>', 'short name used at sign-in: 2-63 lowercase letters, digits, dashes')
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--admin-email <email>', "the first owner's email")
    .option('--admin-password <password>', "the first owner's password (12 to 128 characters); visible to other users of the machine (ps): prefer the next two")
    .option('--admin-password-stdin', "read the first owner's password from standard input")
    .option('--admin-password-env <name>', "read the first owner's password from this environment variable")
    .option('--admin-name <name>', "the first owner's name", 'Owner')
    .action(async (o: CreateOptions) => {
      const adminPassword = await passwordFrom(o);
      await kit.withDatabase(async (db) => {
        const { tenant: t, owner } = await db.inTenant(randomUUID(), 'cli tenant create', (ctx) =>
          createTenant(ctx, { slug: o.slug, name: o.name, adminEmail: o.adminEmail, adminPassword, adminName: o.adminName }),
        );
        kit.out(`created tenant ${t.slug} (${t.id}) with owner ${owner.email}`);
      });
    });
};
