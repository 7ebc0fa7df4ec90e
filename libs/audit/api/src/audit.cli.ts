import type { CliCommands } from '@bulwark/platform-api';
import { verifyChain } from './audit.query';
import { pruneAll, pruneTenant } from './retention';

/** `audit verify|prune`: the operators' view of every workspace's chain (SECURITY.md F2). */
export const auditCli: CliCommands = (program, kit) => {
  const audit = program.command('audit').description('the audit log');
  audit
    .command('verify')
    .description("walk a workspace's hash chain; exit code 2 and the first broken event when it does not verify (SECURITY.md F2)")
    .requiredOption('--tenant <slug>', 'the workspace')
    .action((o: { tenant: string }) =>
      kit.withDatabase(async (db) => {
        const r = await db.inTenant(await db.tenantIdOf(o.tenant), 'cli audit verify', (ctx) => verifyChain(ctx));
        if (r.ok) kit.out(`audit chain of ${o.tenant} is intact: ${r.checked} event(s) checked, head #${r.headSeq}`);
        else {
          kit.out(`audit chain of ${o.tenant} is BROKEN at event #${r.brokenSeq}${r.brokenEventId ? ` (${r.brokenEventId})` : ''}: ${r.reason}`);
          process.exitCode = 2;
        }
      }),
    );
  audit
    .command('prune')
    .description("delete events older than each workspace's retention (the server does this hourly); the chain is checkpointed at the cut")
    .option('--tenant <slug>', 'only this workspace')
    .action((o: { tenant?: string }) =>
      kit.withDatabase(async (db) => {
        if (o.tenant) {
          const n = await db.inTenant(await db.tenantIdOf(o.tenant), 'cli audit prune', (ctx) => pruneTenant(ctx));
          kit.out(`deleted ${n} event(s) of ${o.tenant}`);
        } else {
          kit.out(`deleted ${await pruneAll(await db.orm())} event(s) past their tenants' retention`);
        }
      }),
    );
};
