import { Chip, Tooltip, Typography } from '@mui/material';
import { Datagrid, FunctionField, List, SelectInput, TextField } from 'react-admin';
import { ConfirmAction, formatDateTime, gql, WhenField, type Api, type ConsoleResource } from '@bulwark/platform-console';

type Status = 'pending' | 'delivered' | 'failed';
type Delivery = Omit<Api.Delivery, 'status'> & { status: Status };

const FIELDS = 'id kind kindLabel recipient summary status attempts lastError createdAt nextAttemptAt deliveredAt';
const QUERY = `query($filter: DeliveryFilter, $page: PageInput) { deliveries(filter: $filter, page: $page) { totalCount nodes { ${FIELDS} } } }`;

const STATUS: Record<Status, { label: string; color: 'info' | 'success' | 'error' }> = {
  pending: { label: 'Waiting', color: 'info' },
  delivered: { label: 'Delivered', color: 'success' },
  failed: { label: 'Failed', color: 'error' },
};
const STATUS_CHOICES = (Object.keys(STATUS) as Status[]).map((id) => ({ id, name: STATUS[id].label }));

/** The delivery log: the outbox of the workspace, newest first, a page at a time. */
export const deliveriesData: ConsoleResource['data'] = {
  async getList(_r, { pagination, filter }) {
    const { page = 1, perPage = 25 } = pagination ?? {};
    const f = (filter ?? {}) as { status?: Status };
    const d = await gql<Pick<Api.Query, 'deliveries'>>(QUERY, {
      filter: { status: f.status || undefined },
      page: { offset: (page - 1) * perPage, limit: Math.min(perPage, 100) },
    });
    return { data: d.deliveries.nodes as never, total: d.deliveries.totalCount };
  },
};

const RETRY = `mutation($id: ID!) { retryDelivery(id: $id) { id status } }`;

/** A failed message can be sent again once its receiver is fixed (recorded in the audit log). */
function SendAgain({ d }: { d: Delivery }) {
  if (d.status !== 'failed') return null;
  return (
    <ConfirmAction
      name={`Send again: ${d.summary} to ${d.recipient}`}
      label="Send again"
      title={`Send "${d.summary}" again?`}
      content={`It goes to ${d.recipient} with a fresh count of tries. Do it once the receiver is fixed (last error: ${d.lastError ?? 'none'}).`}
      confirm="Send again"
      run={() => gql(RETRY, { id: d.id })}
      done={`"${d.summary}" is being sent again`}
    />
  );
}

const when = (iso: string | null) => (iso ? formatDateTime(iso) : '');

function StatusCell({ d }: { d: Delivery }) {
  const s = STATUS[d.status] ?? { label: d.status, color: 'info' as const };
  const chip = <Chip size="small" label={s.label} color={s.color} variant={d.status === 'delivered' ? 'filled' : 'outlined'} />;
  const hint =
    d.status === 'pending' && d.attempts
      ? `Tried ${d.attempts} time${d.attempts === 1 ? '' : 's'}; next try ${when(d.nextAttemptAt)}`
      : d.status === 'failed'
        ? `Given up after ${d.attempts} tr${d.attempts === 1 ? 'y' : 'ies'}`
        : '';
  return hint ? (
    <Tooltip title={hint}>
      <span>{chip}</span>
    </Tooltip>
  ) : (
    chip
  );
}

/**
 * Deliveries: every mail and webhook the workspace's changes caused (resets, invitations, alert
 * webhooks and mail), whether it arrived, how many tries it took and why the last one failed.
 */
export function DeliveriesList() {
  return (
    <List
      title="Deliveries"
      filters={[<SelectInput key="status" source="status" label="Status" choices={STATUS_CHOICES} alwaysOn />]}
      sort={{ field: 'createdAt', order: 'DESC' }}
      perPage={25}
      exporter={false}
      empty={false}
    >
      <Datagrid bulkActionButtons={false} rowClick={false}>
        <FunctionField<Delivery>
          label="What"
          render={(d) => (
            <>
              <Typography variant="body2">{d.summary}</Typography>
              <Typography variant="caption" color="text.secondary">
                {d.kindLabel}
              </Typography>
            </>
          )}
        />
        <TextField source="recipient" label="To" sortable={false} sx={{ wordBreak: 'break-word' }} />
        <FunctionField<Delivery> label="Status" render={(d) => <StatusCell d={d} />} />
        <FunctionField<Delivery> label="Tries" render={(d) => String(d.attempts)} />
        <FunctionField<Delivery> label="Last error" render={(d) => d.lastError ?? ''} />
        <WhenField source="createdAt" label="Queued" relative sortable={false} />
        <WhenField source="deliveredAt" label="Delivered" relative sortable={false} empty="" />
        <FunctionField<Delivery> label="" render={(d) => <SendAgain d={d} />} />
      </Datagrid>
    </List>
  );
}
