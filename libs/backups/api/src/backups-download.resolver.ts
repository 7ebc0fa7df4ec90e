import { Arg, Ctx, ID, Mutation, Resolver } from 'type-graphql';
import type { RequestContext } from '@bulwark/platform-api';
import { prepareDownload } from './backups-download.service';
import { BackupDownloadView } from './backups-download.types';

@Resolver()
export class BackupDownloadResolver {
  @Mutation(() => BackupDownloadView, {
    description: 'Needs backups.download and a recent re-authentication; recorded. A one-time link to a succeeded backup file, as stored (encrypted)',
  })
  downloadBackup(@Arg('runId', () => ID) runId: string, @Ctx() ctx: RequestContext): Promise<BackupDownloadView> {
    return prepareDownload(ctx, runId);
  }
}
