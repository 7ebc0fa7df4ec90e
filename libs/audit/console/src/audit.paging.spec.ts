import { describe, expect, it } from '@jest/globals';
import { keysetGetList, toAuditFilter, type AuditFilterInput, type KeysetPage } from './audit.paging';

/** A log of `total` events numbered 1..total, read newest first like the API (seq < after). */
function fakeLog(total: number) {
  const calls: { filter: AuditFilterInput; first: number; after: string | undefined }[] = [];
  const read = async (filter: AuditFilterInput, first: number, after: string | undefined): Promise<KeysetPage<{ id: string; seq: number }>> => {
    calls.push({ filter, first, after });
    const below = after ? Number(after) : total + 1;
    const seqs = Array.from({ length: below - 1 }, (_, i) => below - 1 - i).slice(0, first + 1);
    const items = seqs.slice(0, first).map((seq) => ({ id: `e${seq}`, seq }));
    const hasMore = seqs.length > first;
    return { items, hasMore, nextCursor: hasMore ? String(items[items.length - 1].seq) : null };
  };
  const getList = keysetGetList(read);
  const page = (n: number, filter: Record<string, unknown> = {}) =>
    getList('audit', { pagination: { page: n, perPage: 10 }, sort: { field: 'seq', order: 'DESC' }, filter });
  return { calls, page };
}

describe('toAuditFilter', () => {
  it('maps list filters to the API input and drops empty values', () => {
    expect(toAuditFilter({ q: ' bob ', actions: ['identity.loginFailed'], outcome: 'failure', ip: '', targetType: 'Ticket' })).toEqual({
      search: 'bob',
      actions: ['identity.loginFailed'],
      outcome: 'failure',
      targetType: 'Ticket',
    });
  });

  it('sends local date-times as instants and ignores invalid ones', () => {
    const local = '2026-11-20T10:30';
    expect(toAuditFilter({ from: local, to: 'not a date' })).toEqual({ from: new Date(local).toISOString() });
  });

  it('accepts a single action as well as a list', () => {
    expect(toAuditFilter({ actions: 'audit.exported' })).toEqual({ actions: ['audit.exported'] });
  });
});

describe('keyset paging under page numbers', () => {
  it('reads page 2 after the last event of page 1, and reports no total', async () => {
    const log = fakeLog(25);
    const one = await log.page(1);
    expect(one.data.map((e) => e.seq)).toEqual([25, 24, 23, 22, 21, 20, 19, 18, 17, 16]);
    expect(one.pageInfo).toEqual({ hasNextPage: true, hasPreviousPage: false });
    expect(one.total).toBeUndefined();
    const two = await log.page(2);
    expect(log.calls[1]).toEqual({ filter: {}, first: 10, after: '16' });
    expect(two.data[0].seq).toBe(15);
    const three = await log.page(3);
    expect(three.data.map((e) => e.seq)).toEqual([5, 4, 3, 2, 1]);
    expect(three.pageInfo?.hasNextPage).toBe(false);
  });

  it('keeps cursors per query: another filter starts from its own first page', async () => {
    const log = fakeLog(25);
    await log.page(1);
    await log.page(2, { outcome: 'failure' });
    expect(log.calls.map((c) => c.after)).toEqual([undefined, undefined, '16']);
    expect(log.calls[2].filter).toEqual({ outcome: 'failure' });
  });

  it('reaches a page asked for out of order by reading forward', async () => {
    const log = fakeLog(35);
    const three = await log.page(3);
    expect(three.data[0].seq).toBe(15);
    expect(log.calls).toHaveLength(3);
  });

  it('answers an empty last page beyond the end', async () => {
    const log = fakeLog(12);
    const five = await log.page(5);
    expect(five.data).toEqual([]);
    expect(five.pageInfo?.hasNextPage).toBe(false);
  });
});
