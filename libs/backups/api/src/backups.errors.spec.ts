/**
 * Backup errors as clients see them: every code has its client code, a client's mistake is never
 * answered as a server error, and "not found" says nothing more than that.
 */
import { AppError, ErrorCodes } from '@bulwark/platform-api';
import { BackupError, BackupErrorCodes, clientCodeOf, toClientError } from './backups.errors';

describe('backup errors', () => {
  it('maps every code to a client code, or to none for a failure of the server or its storage', () => {
    const mapped = Object.fromEntries(BackupErrorCodes.map((c) => [c, clientCodeOf(c)]));
    for (const code of Object.values(mapped)) if (code !== null) expect(ErrorCodes).toContain(code);
    expect(Object.entries(mapped).filter(([, v]) => v === null).map(([k]) => k)).toEqual(['STORED_FILE_MISMATCH', 'BACKUP_UNVERIFIED']);
    expect(mapped.RUN_NOT_FOUND).toBe('NOT_FOUND');
    expect(mapped.ARCHIVE_OTHER_WORKSPACE).toBe('BAD_USER_INPUT');
  });

  it('answers with the message, the fields and the backup code; masks what is not the client\'s', () => {
    const e = toClientError(new BackupError('CONFIRMATION_MISMATCH', 'Type the workspace name "x" to confirm', { confirm: 'mismatch' }));
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).message).toBe('Type the workspace name "x" to confirm');
    expect((e as AppError).extensions).toEqual({ code: 'BAD_USER_INPUT', reason: 'CONFIRMATION_MISMATCH', fields: { confirm: 'mismatch' } });
    const missing = toClientError(new BackupError('RUN_NOT_FOUND', 'no succeeded backup 123 of acme')) as AppError;
    expect([missing.message, missing.extensions.code]).toEqual(['Backup not found', 'NOT_FOUND']);
    const stored = new BackupError('STORED_FILE_MISMATCH', 'the stored backup is not what was written');
    expect(toClientError(stored)).toBe(stored);
    const other = new Error('boom');
    expect(toClientError(other)).toBe(other);
  });
});
