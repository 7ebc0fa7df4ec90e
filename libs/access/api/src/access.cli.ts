import type { CliCommands } from '@bulwark/platform-api';

/** `lockdown on|off|status`: the operators' platform-wide switch (SECURITY.md D11). */
export const accessCli: CliCommands = (program, kit) => {
  program
    .command('lockdown')
    .description('platform-wide lockdown: every workspace refuses changes except admins on allowlisted networks (SECURITY.md D11)')
    .argument('<state>', 'on, off or status')
    .action(async (state: string) => {
      if (!['on', 'off', 'status'].includes(state)) throw new Error('say on, off or status');
      await kit.withDatabase(async (db) => {
        // The operator's switch is written as the owner: the runtime role may only read it.
        const conn = (await db.ownerOrm()).em.fork().getConnection();
        if (state !== 'status') {
          // The switch and its events commit together; every tenant's log says so (F3 "lockdown
          // toggles", through the audit feature's owner-only function), the operators' log too.
          const n = await conn.transactional(async (trx) => {
            await conn.execute(
              `insert into platform_settings (key, value, updated_at) values ('lockdown', ?::jsonb, now())
               on conflict (key) do update set value = excluded.value, updated_at = now()`,
              [JSON.stringify(state === 'on')],
              'run',
              trx,
            );
            const events = [{ occurredAt: new Date(), actorType: 'system', actorName: 'platform operator (cli)', action: 'platform.lockdownChanged', targetType: 'Platform', outcome: 'success', details: { lockdown: state === 'on' } }];
            return (await conn.execute<{ n: string }>('select bulwark_audit_append_all(?::jsonb) as n', [JSON.stringify(events)], 'get', trx)).n;
          });
          kit.log.warn('platform lockdown changed', { lockdown: state === 'on', tenantsNotified: Number(n) });
        }
        const [row] = await conn.execute<{ value: unknown }[]>(`select value from platform_settings where key = 'lockdown'`);
        kit.out(`platform lockdown is ${row?.value === true ? 'ON: workspaces refuse changes (reads go on)' : 'off'}`);
      });
    });
};
