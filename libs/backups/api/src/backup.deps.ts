import type { AppServices } from '@bulwark/platform-api';
import type { MikroORM } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { storageFor, type BackupStorage } from './storage';
import { fileStore, type FileStore } from './file-store';

/**
 * What the long-running backup work needs beyond a context: it runs in transactions of its own
 * (a snapshot, a restore), so it takes something to fork from rather than a request's transaction.
 */
export interface BackupDeps {
  /** The ORM, or a request's entity manager to fork (a backup started from the API). */
  orm: MikroORM | EntityManager;
  app: AppServices;
  storage: BackupStorage;
  /** Every migration this server knows, oldest first; the last names the archive's schema. */
  schemas: string[];
  /** Where the files rows own are kept (attachments); default: the configured file store. */
  files?: FileStore;
}

/** The files a backup carries and a restore puts back: the server's own, wherever archives go. */
export const filesOf = (deps: BackupDeps): FileStore => deps.files ?? fileStore(deps.app.config);

/** The deps as configured: the storage BULWARK_BACKUP_STORAGE names, the migrations the server runs. */
export function backupDeps(orm: MikroORM | EntityManager, app: AppServices): BackupDeps {
  return { orm, app, storage: storageFor(app.config), schemas: app.migrations };
}

/** A fresh entity manager of its own, whether given the ORM or a request's manager. */
export function forkOf(orm: MikroORM | EntityManager): EntityManager {
  return ('em' in orm ? orm.em : orm).fork({ clear: true }) as EntityManager;
}

export type Progress = (what: { phase: string; table?: string; rows: number; bytes: number }) => void;

export interface ReadOptions {
  /**
   * `false`: the input is the compressed archive itself, already decrypted by whoever holds the
   * key — an OpenPGP backup after `gpg --decrypt` (the server has no private key to do it).
   * Nothing is then authenticated by the envelope; the manifest (every stream's row count and
   * SHA-256) is still checked in full before anything is trusted. Default `true` (AES envelope).
   */
  encrypted?: boolean;
}
