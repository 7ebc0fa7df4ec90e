import { Typography } from '@mui/material';
import { useCanAccess, useGetManyAggregate } from 'react-admin';

/**
 * A record named as a person reads it (a person's name, a ticket's subject) where the console has
 * only its id: looked up through `resource`'s data, the rows of a page together (one request per
 * resource). Those who may not list the resource, or a record gone since, see the shortened id.
 */
export function RecordName({ resource, id, field = 'name', full = false }: { resource: string | undefined; id: string; field?: string; full?: boolean }) {
  const name = useRecordName(resource, id, field);
  if (name) return <>{name}</>;
  return (
    <Typography component="span" variant="inherit" sx={{ fontFamily: 'monospace', whiteSpace: 'nowrap' }} title={id}>
      {!full && id.length > 13 ? `${id.slice(0, 8)}…` : id}
    </Typography>
  );
}

/** The record's name as text (for an input's value), or undefined where RecordName shows the id. */
export function useRecordName(resource: string | undefined, id: string, field = 'name'): string | undefined {
  const { canAccess } = useCanAccess({ resource: resource ?? '', action: 'list', enabled: !!resource });
  const { data } = useGetManyAggregate(resource ?? '', { ids: [id] }, { enabled: !!resource && !!canAccess && !!id, retry: false });
  const name = data?.[0] ? (data[0] as Record<string, unknown>)[field] : undefined;
  return typeof name === 'string' && name ? name : undefined;
}
