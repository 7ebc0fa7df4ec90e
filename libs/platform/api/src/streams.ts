import type { Response } from 'express';
import type { Writable } from 'node:stream';

/**
 * Resolves when a writable that refused more (`write` returned false) takes data again, or is
 * gone. Unlike racing `events.once` calls, no listener outlives the wait, so a long stream that
 * waits thousands of times does not pile them up.
 */
export function drained(out: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      out.off('drain', done);
      out.off('close', done);
      resolve();
    };
    out.on('drain', done);
    out.on('close', done);
  });
}

/** The file formats of bulk exports (D12): CSV for spreadsheets, NDJSON for tools. */
export type ExportFormat = 'csv' | 'ndjson';

/** One CSV cell. A spreadsheet must not run what someone typed (CSV injection): formulas are quoted. */
export function csvCell(value: unknown): string {
  let s = value === null || value === undefined ? '' : value instanceof Date ? value.toISOString() : Buffer.isBuffer(value) ? value.toString('hex') : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** What a one-time export link streams (see streamExport). */
export interface ExportFile<Row, Cursor> {
  format: ExportFormat;
  /** The file name's first part: `tickets` gives `tickets-2026-11-21T10-00-00-000Z.csv`. */
  name: string;
  now: Date;
  /** CSV: the header, and each row's cells by these names (`csvRow`, else the row itself). */
  columns: readonly string[];
  csvRow?: (row: Row) => Record<string, unknown>;
  /** NDJSON: each row as one JSON value. */
  json: (row: Row) => unknown;
  /** Where reading starts; null: there is nothing to read. */
  start: Cursor | null;
  /** One page from `cursor`, and where the next starts (null: that was the last). */
  page: (cursor: Cursor) => Promise<{ rows: Row[]; next: Cursor | null }>;
}

/**
 * Streams an export page by page: the next page is read only when the socket has taken the
 * previous one, so memory stays flat however large the file, and reading stops when the client
 * goes away. Each feature's `page` runs in a short transaction of its own, with the caller's rules.
 */
export async function streamExport<Row, Cursor>(res: Response, file: ExportFile<Row, Cursor>): Promise<void> {
  const stamp = file.now.toISOString().replace(/[:.]/g, '-');
  res.status(200);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Type', file.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson');
  res.setHeader('Content-Disposition', `attachment; filename="${file.name}-${stamp}.${file.format}"`);
  const line =
    file.format === 'csv'
      ? (row: Row) => {
          const cells = file.csvRow ? file.csvRow(row) : (row as Record<string, unknown>);
          return file.columns.map((c) => csvCell(cells[c])).join(',') + '\r\n';
        }
      : (row: Row) => JSON.stringify(file.json(row)) + '\n';
  if (file.format === 'csv') res.write(file.columns.join(',') + '\r\n');
  let cursor = file.start;
  while (cursor !== null && !res.destroyed) {
    const page = await file.page(cursor);
    for (const row of page.rows) {
      if (!res.write(line(row))) await drained(res);
    }
    cursor = page.next;
  }
  res.end();
}
