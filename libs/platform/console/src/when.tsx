import { Tooltip } from '@mui/material';
import { useRecordContext } from 'react-admin';
import { formatDateTime, fromNow } from './dates';

/**
 * A moment on the page: the date and time, or with `relative` "2 hours ago" (lists, where how
 * long ago reads faster) with the exact time on hover. `<time>` keeps the exact value for
 * scripts and screen readers.
 */
export function When({ value, relative: rel = false, empty = '—' }: { value: string | Date | null | undefined; relative?: boolean; empty?: string }) {
  if (!value) return <>{empty}</>;
  const iso = new Date(value).toISOString();
  const exact = formatDateTime(value);
  if (!rel) return <time dateTime={iso}>{exact}</time>;
  return (
    <Tooltip title={exact}>
      <time dateTime={iso} style={{ whiteSpace: 'nowrap' }}>
        {fromNow(value)}
      </time>
    </Tooltip>
  );
}

/** `When` for a field of the record in context (react-admin list columns, show pages). */
export function WhenField({ source, relative, empty }: { source: string; relative?: boolean; empty?: string; label?: string; sortable?: boolean }) {
  const record = useRecordContext();
  return <When value={record?.[source] as string | null | undefined} relative={relative} empty={empty} />;
}
