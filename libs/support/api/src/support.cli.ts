import type { CliCommands } from '@bulwark/platform-api';
import { encryptTotpSecret, hashPassword, newTotpSecret, normalizeEmail, otpauthUrl } from '@bulwark/identity-api';
import { randomUUID } from 'node:crypto';
import { OPERATOR_TOTP_OWNER } from './support.service';

/** Exactly one source for the password; stdin and the environment keep it out of `ps`. */
async function passwordFrom(o: { passwordStdin?: boolean; passwordEnv?: string }): Promise<string> {
  if (!!o.passwordStdin === !!o.passwordEnv) throw new Error('give the password with exactly one of --password-stdin, --password-env');
  if (o.passwordEnv) {
    const v = process.env[o.passwordEnv];
    if (!v) throw new Error(`environment variable ${o.passwordEnv} is empty or not set`);
    return v;
  }
  let data = '';
  for await (const chunk of process.stdin) data += chunk;
  return data.replace(/\r?\n$/, '');
}

/**
 * `operator create|list|suspend|reactivate`: the vendor's support staff, apart from every
 * tenant's people. Two-factor sign-in is mandatory: `create` prints the authenticator secret
 * once (an otpauth:// URI to paste or turn into a QR code); it is stored sealed.
 */
export const supportCli: CliCommands = (program, kit) => {
  const operator = program.command('operator').description('manage vendor support operators (the platform’s own support staff)');
  operator
    .command('create')
    .description('create an operator; prints their authenticator secret once')
    .requiredOption('--email <email>', "the operator's email (their sign-in name)")
    .requiredOption('--name <name>', 'their name, as tenant admins and the audit log see it')
    .option('--password-stdin', 'read the password from standard input')
    .option('--password-env <name>', 'read the password from this environment variable')
    .action(async (o: { email: string; name: string; passwordStdin?: boolean; passwordEnv?: string }) => {
      const password = await passwordFrom(o);
      if ([...password].length < 12 || [...password].length > 128) throw new Error('the password must be 12 to 128 characters');
      const email = normalizeEmail(o.email);
      if (!/^[^@\s]+@[^@\s]+$/.test(email)) throw new Error(`"${o.email}" is not an email address`);
      const name = o.name.trim();
      if (!name || name.length > 200) throw new Error('the name must be 1 to 200 characters');
      await kit.withDatabase(async (db) => {
        const id = randomUUID();
        const secret = newTotpSecret();
        const hash = await hashPassword(db.config.passwordPepper, password, db.config.bcryptCost);
        const conn = (await db.ownerOrm()).em.getConnection();
        const [taken] = await conn.execute<{ id: string }[]>('select id from support_operators where email = ?', [email]);
        if (taken) throw new Error(`an operator with the email ${email} exists already`);
        await conn.execute('insert into support_operators (id, email, name, password_hash, totp_secret) values (?, ?, ?, ?, ?)', [
          id,
          email,
          name,
          hash,
          encryptTotpSecret(db.config.passwordPepper, secret, OPERATOR_TOTP_OWNER(id)),
        ]);
        kit.log.info('support operator created', { operatorId: id });
        kit.out(`created operator ${email} (${id})`);
        kit.out(`authenticator secret (shown once): ${otpauthUrl(secret, `support:${email}`)}`);
      });
    });
  operator
    .command('list')
    .description('list operators: email, name, status, created')
    .action(async () => {
      await kit.withDatabase(async (db) => {
        const rows = await (await db.ownerOrm()).em
          .getConnection()
          .execute<{ email: string; name: string; status: string; created_at: Date }[]>('select email, name, status, created_at from support_operators order by email');
        if (!rows.length) kit.out('no operators');
        for (const r of rows) kit.out(`${r.email}\t${r.name}\t${r.status}\t${new Date(r.created_at).toISOString()}`);
      });
    });
  for (const [command, status, what] of [
    ['suspend', 'suspended', 'suspend an operator: their sessions stop at their next request'],
    ['reactivate', 'active', 'let a suspended operator sign in again'],
  ] as const) {
    operator
      .command(command)
      .description(what)
      .requiredOption('--email <email>', "the operator's email")
      .action(async (o: { email: string }) => {
        await kit.withDatabase(async (db) => {
          const rows = await (await db.ownerOrm()).em
            .getConnection()
            .execute<{ id: string }[]>('update support_operators set status = ?, failed_count = 0, locked_until = null where email = ? returning id', [status, normalizeEmail(o.email)]);
          if (!rows.length) throw new Error(`no operator with the email ${o.email}`);
          kit.log.info(`support operator ${status}`, { operatorId: rows[0].id });
          kit.out(`${normalizeEmail(o.email)}: ${status}`);
        });
      });
  }
};
