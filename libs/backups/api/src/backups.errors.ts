import { AppError, type ErrorCode } from '@bulwark/platform-api';

/**
 * Why a backup, a restore or a backup file was refused: a closed set, so that callers (the
 * resolvers, the CLI, tests) branch on the code and never on the wording. Messages are for the
 * person who reads them (an admin, an operator): they say "workspace".
 */
export const BackupErrorCodes = [
  /** No such run in this workspace, or none that may be used (restore, download). */
  'RUN_NOT_FOUND',
  /** The run exists but cannot be restored from here (not succeeded; OpenPGP from the API). */
  'RUN_NOT_RESTORABLE',
  /** A restore that replaces data was not confirmed with the workspace's name. */
  'CONFIRMATION_MISMATCH',
  /** The file is not a Bulwark backup, or it was altered, truncated or damaged. */
  'ARCHIVE_INVALID',
  /** Written by a newer server (format, envelope or schema), or with tables or columns this one lacks. */
  'ARCHIVE_SCHEMA_UNKNOWN',
  /** The archive is of another workspace than the one it is restored into. */
  'ARCHIVE_OTHER_WORKSPACE',
  /** Encrypted to the workspace's own OpenPGP key: only its holder can decrypt it. */
  'ARCHIVE_OPENPGP',
  /** Encrypted under a master key this server does not have. */
  'KEY_UNAVAILABLE',
  /** The workspace's OpenPGP key cannot be used (not a public key, expired, revoked, cannot encrypt). */
  'KEY_UNUSABLE',
  /** The archive's rows do not fit this database (a constraint refused them). */
  'ROWS_DO_NOT_FIT',
  /** What storage holds is not what was written (size, SHA-256, or not the expected encryption). */
  'STORED_FILE_MISMATCH',
  /** The archive, read back while it was written, did not match its own manifest. */
  'BACKUP_UNVERIFIED',
] as const;
export type BackupErrorCode = (typeof BackupErrorCodes)[number];

export class BackupError extends Error {
  constructor(
    readonly code: BackupErrorCode,
    message: string,
    /** Which input was wrong, for a form (GraphQL `extensions.fields`). */
    readonly fields: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'BackupError';
  }
}

const unreachable = (code: never): never => {
  throw new Error(`unknown backup error code ${String(code)}`);
};

/**
 * The client error code each backup error is answered with, or null for a failure of the server
 * or its storage (masked as an internal error, the cause logged). Exhaustive: a new code does not
 * compile until it is placed here.
 */
export function clientCodeOf(code: BackupErrorCode): ErrorCode | null {
  switch (code) {
    case 'RUN_NOT_FOUND':
      return 'NOT_FOUND';
    case 'RUN_NOT_RESTORABLE':
    case 'CONFIRMATION_MISMATCH':
    case 'ARCHIVE_INVALID':
    case 'ARCHIVE_SCHEMA_UNKNOWN':
    case 'ARCHIVE_OTHER_WORKSPACE':
    case 'ARCHIVE_OPENPGP':
    case 'KEY_UNAVAILABLE':
    case 'KEY_UNUSABLE':
    case 'ROWS_DO_NOT_FIT':
      return 'BAD_USER_INPUT';
    case 'STORED_FILE_MISMATCH':
    case 'BACKUP_UNVERIFIED':
      return null;
    default:
      return unreachable(code);
  }
}

/**
 * An error on its way to GraphQL: a backup error as the client code, its message, its fields and
 * the backup code as `extensions.reason`; a server-side failure, or any other error, as it is (to
 * be masked, its cause logged).
 */
export function toClientError(e: unknown): unknown {
  if (!(e instanceof BackupError)) return e;
  const code = clientCodeOf(e.code);
  if (!code) return e;
  // "Not found" and "not yours" answer the same (SECURITY.md D2).
  if (code === 'NOT_FOUND') return new AppError(code, 'Backup not found', { reason: e.code });
  return new AppError(code, e.message, { fields: e.fields, reason: e.code });
}

/**
 * What reading a backup file can throw, as a BackupError: zlib's own words ("invalid distance too
 * far back") and a line that is not JSON mean a damaged or altered file. Anything else is passed on.
 */
export function asArchiveError(e: unknown): unknown {
  if (e instanceof BackupError) return e;
  const code = String((e as NodeJS.ErrnoException | null)?.code ?? '');
  if (/^(Z_|ERR_BROTLI)/.test(code) || e instanceof SyntaxError) return new BackupError('ARCHIVE_INVALID', `the backup is damaged or altered (${(e as Error).message})`);
  return e;
}
