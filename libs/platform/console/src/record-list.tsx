import { Box, Card, Stack, Typography } from '@mui/material';
import { Children, cloneElement, createContext, forwardRef, isValidElement, useContext, type ReactElement, type ReactNode } from 'react';
import {
  DataTable,
  DataTableBody,
  DataTableRow,
  ListBase,
  Title,
  useListContext,
  useRecordContext,
  type DataTableBodyProps,
  type DataTableRowProps,
  type RaRecord,
} from 'react-admin';

type RowAttributes = (record: RaRecord) => Record<`data-${string}`, string>;
const RowAttributesContext = createContext<RowAttributes | undefined>(undefined);
const AttributedRow = forwardRef<HTMLTableRowElement, DataTableRowProps>(function AttributedRow(props, ref) {
  const record = useRecordContext();
  const attributes = useContext(RowAttributesContext);
  return <DataTableRow ref={ref} {...props} {...(record && attributes ? attributes(record) : {})} />;
});
const AttributedBody = forwardRef<HTMLTableSectionElement, DataTableBodyProps>(function AttributedBody(props, ref) {
  return <DataTableBody ref={ref} {...props} row={AttributedRow} />;
});

/**
 * Every record of the list in context, in one table named `label` (for screen readers and
 * tests), or the `empty` sentence when there is none. These lists are short (tokens, groups,
 * rules, runs), so there is no paging, selection or row link: actions sit in their own column.
 * Columns are react-admin's `DataTable.Col`. `padded`: the sentence gets the padding a bare card
 * lacks (false inside CardContent, which has its own). `rowAttributes`: `data-*` attributes of
 * each row (a run's id and status, for scripts and tests).
 */
export function RecordTable({
  label,
  empty,
  padded = true,
  rowAttributes,
  children,
}: {
  label: string;
  empty: string;
  padded?: boolean;
  rowAttributes?: RowAttributes;
  children: ReactNode;
}) {
  const { data, isPending } = useListContext();
  if (isPending) return null;
  if (!data?.length) {
    return (
      <Typography variant="body2" color="text.secondary" sx={padded ? { p: 2 } : undefined}>
        {empty}
      </Typography>
    );
  }
  return (
    <RowAttributesContext.Provider value={rowAttributes}>
      <DataTable aria-label={label} bulkActionButtons={false} rowClick={false} hover={false} empty={null} body={rowAttributes ? AttributedBody : undefined}>
        {/* The whole list is on screen in the server's order: headers sort nothing, so they are not buttons. */}
        {Children.map(children, (c) => (isValidElement(c) ? cloneElement(c as ReactElement<{ disableSort?: boolean }>, { disableSort: true }) : c))}
      </DataTable>
    </RowAttributesContext.Provider>
  );
}

/**
 * A resource's list as a screen of its own: the page title, what the records are for, the actions
 * (New…) on the right, an optional notice, then the table in a card, and `after` it the page's
 * other sections (settings that go with the records). The records come from the resource's
 * `getList` through the data provider; react-admin's `refresh()` reloads them.
 */
export function RecordListPage({
  resource,
  title,
  description,
  actions,
  notice,
  loading = 'Loading…',
  after,
  children,
}: {
  resource?: string;
  title: string;
  description: string;
  actions?: ReactNode;
  notice?: ReactNode;
  loading?: string;
  after?: ReactNode;
  children: ReactNode;
}) {
  return (
    <ListBase resource={resource} perPage={1000} disableSyncWithLocation>
      <Title title={title} />
      <Loaded loading={loading}>
        <Box sx={{ p: 2, maxWidth: 1200 }}>
          {/* On a phone the actions go under the title: side by side, both would be squeezed to a word a line. */}
          <Stack direction={{ xs: 'column', sm: 'row' }} spacing={2} alignItems={{ xs: 'flex-start', sm: 'center' }} sx={{ mb: 2 }}>
            <Box sx={{ flexGrow: 1 }}>
              <Typography variant="h5">{title}</Typography>
              <Typography variant="body2" color="text.secondary">
                {description}
              </Typography>
            </Box>
            {actions}
          </Stack>
          {notice}
          <Card>{children}</Card>
          {after}
        </Box>
      </Loaded>
    </ListBase>
  );
}

/** Until the first answer, a line saying what is coming (no empty table flashing first). */
export function Loaded({ loading = 'Loading…', children }: { loading?: string; children: ReactNode }) {
  const { isPending } = useListContext();
  if (isPending) return <Typography sx={{ p: 2 }}>{loading}</Typography>;
  return <>{children}</>;
}
