import { isUuid, type CliCommands } from '@bulwark/platform-api';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { BackupRun } from './backup-run.entity';
import { backupDeps } from './backup.deps';
import { runBackup } from './backup-run.service';
import { verifyArchive } from './backup-envelope.service';
import { restoreTenant } from './restore.service';
import { BackupError } from './backups.errors';
import { backupsConfig } from './backups.config';

const DECRYPTED_HELP = 'the file is an OpenPGP backup already decrypted with `gpg --decrypt` (its manifest is still checked in full)';

const rowsLine = (counts: Record<string, number>) => `rows: ${Object.entries(counts).map(([t, n]) => `${t} ${n}`).join(', ')}`;

/** `backup run|list|verify|restore`: a workspace's backups from the command line (issue 5). */
export const backupsCli: CliCommands = (program, kit) => {
  const backup = program.command('backup').description("a workspace's backups (encrypted archives in the configured storage: BULWARK_BACKUP_DIR, or S3)");
  const ofWorkspace = (name: string, description: string) => backup.command(name).description(description).requiredOption('--tenant <slug>', 'the workspace');
  ofWorkspace('run', 'back a workspace up now: write, read back and verify, then record the run').action((o: { tenant: string }) =>
    kit.withDatabase(async (db) => {
      const deps = backupDeps(await db.orm(), db.app);
      const run = await runBackup(deps, await db.tenantIdOf(o.tenant), 'cli', { progress: kit.progressLine() });
      kit.endProgress();
      kit.out(`backup ${run.id} of ${o.tenant}: succeeded, ${Number(run.sizeBytes)} bytes, sha256 ${run.sha256}`);
      kit.out(rowsLine(run.counts ?? {}));
      kit.out(`file: ${backupsConfig.of(db.config).dir}/${run.storageKey}`);
    }),
  );
  ofWorkspace('list', "a workspace's backup runs, newest first").action((o: { tenant: string }) =>
    kit.withDatabase(async (db) => {
      const runs = await db.inTenant(await db.tenantIdOf(o.tenant), 'cli backup list', (ctx) => ctx.em.find(BackupRun, {}, { orderBy: { createdAt: 'desc' }, limit: 100 }));
      if (!runs.length) kit.out(`no backups of ${o.tenant} yet`);
      for (const r of runs) {
        kit.out([r.id, r.createdAt.toISOString(), r.status, r.trigger, r.sizeBytes ? `${r.sizeBytes} bytes` : '-', r.error ?? ''].join('\t').trimEnd());
      }
    }),
  );
  backup
    .command('verify')
    .description('decrypt a backup file and check every stream against its manifest (exit 2 if it does not verify)')
    .argument('<file>', 'the .bwb file')
    .option('--decrypted', DECRYPTED_HELP)
    .action(async (file: string, o: { decrypted?: boolean }) => {
      if (!existsSync(file) || !statSync(file).isFile()) throw new Error(`no backup file ${file} (give the path of a .bwb file)`);
      const { app } = kit.offline();
      try {
        const { header, manifest } = await verifyArchive({ app, schemas: app.migrations }, createReadStream(file), { encrypted: !o.decrypted });
        kit.out(`verified: tenant ${header.tenantId}, written ${header.createdAt}, schema ${header.schema}`);
        kit.out(rowsLine(manifest.counts));
      } catch (e) {
        kit.out(`does NOT verify: ${(e as Error).message}`);
        process.exitCode = 2;
      }
    });
  ofWorkspace('restore', "replace a workspace's data with a backup, all or nothing (live sessions and API tokens end)")
    .option('--run <id>', 'a backup run of this workspace (see backup list)')
    .option('--file <path>', 'a backup file instead')
    .option('--decrypted', DECRYPTED_HELP)
    .option('--dry-run', 'only read and verify the archive; change nothing')
    .action((o: { tenant: string; run?: string; file?: string; decrypted?: boolean; dryRun?: boolean }) => {
      if (!!o.run === !!o.file) throw new Error('give exactly one of --run or --file');
      if (o.decrypted && !o.file) throw new Error('--decrypted goes with --file (the output of gpg --decrypt)');
      if (o.file && (!existsSync(o.file) || !statSync(o.file).isFile())) throw new Error(`no backup file ${o.file} (give the path of a .bwb file)`);
      if (o.run && !isUuid(o.run)) throw new Error(`no backup ${o.run} of ${o.tenant} (a run id looks like 0f8e…; see backup list)`);
      return kit.withDatabase(async (db) => {
        const deps = backupDeps(await db.orm(), db.app);
        const tenantId = await db.tenantIdOf(o.tenant);
        let source;
        if (o.file) source = createReadStream(o.file);
        else {
          const run = await db.inTenant(tenantId, 'cli backup restore', (ctx) => ctx.em.findOne(BackupRun, { id: o.run as string, status: 'succeeded' }));
          if (!run?.storageKey) throw new BackupError('RUN_NOT_FOUND', `no succeeded backup ${o.run} of ${o.tenant}`);
          source = deps.storage.get(run.storageKey);
        }
        const r = await restoreTenant(deps, tenantId, source, { dryRun: o.dryRun, runId: o.run ?? null, progress: kit.progressLine(), encrypted: !o.decrypted });
        kit.endProgress();
        kit.out(`${o.dryRun ? 'dry run: the archive verifies; nothing changed' : `restored ${o.tenant}`}: ${r.rows} rows from ${r.header.createdAt}`);
      });
    });
};
