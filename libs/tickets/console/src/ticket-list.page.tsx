import AddIcon from '@mui/icons-material/Add';
import BookmarkAddIcon from '@mui/icons-material/BookmarkAdd';
import DeleteOutlineIcon from '@mui/icons-material/DeleteOutline';
import FilterListIcon from '@mui/icons-material/FilterList';
import SearchIcon from '@mui/icons-material/Search';
import {
  Badge,
  Box,
  Button,
  Card,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  InputAdornment,
  List as MuiList,
  ListItemButton,
  ListItemText,
  MenuItem,
  Stack,
  TextField,
  Typography,
  useMediaQuery,
  type Theme,
} from '@mui/material';
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { Datagrid, FunctionField, Link, ListBase, Pagination, SimpleList, Title, useCanAccess, useListContext, useRedirect, useNotify } from 'react-admin';
import { ConfirmAction, ExportButton, gql, GraphQLRequestError, type Api, When } from '@bulwark/platform-console';
import { PRIORITY_CHOICES, STATUS_CHOICES } from './tickets.choices';
import { createView, deleteView, listOrganizations, listViews, ticketFilter, ticketIdByNumber, type Person, type TicketRecord } from './tickets.data';
import { ChoiceSelect, PersonPicker, priorityName, StatusChip, ticketRef, useGroups, useTicketAccess, WordsPicker } from './ticket-fields';

/** Filter keys that are the list's filters (the rest are how they are shown, e.g. a person's name). */
const FILTER_KEYS = ['q', 'status', 'priority', 'assigneeId', 'requesterId', 'groupId', 'organizationId', 'tags', 'createdAfter', 'createdBefore', 'updatedAfter', 'updatedBefore'];
const NUMBER = /^#?(\d{1,9})$/;

/** The built-in views and the person's saved ones, with counts; asked again whenever the list reloads. */
function useViews() {
  const { data } = useListContext();
  const [views, setViews] = useState<Api.View[] | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    listViews()
      .then((v) => live && setViews(v))
      .catch(() => live && setViews([]));
    return () => {
      live = false;
    };
  }, [data, tick]);
  return { views, reload: () => setTick((t) => t + 1) };
}

function ViewsColumn({ views }: { views: Api.View[] | null }) {
  const { filterValues, setFilters, total } = useListContext();
  const small = useMediaQuery((t: Theme) => t.breakpoints.down('md'));
  const current = (filterValues.view as string | undefined) ?? '';
  // A view replaces the filters; search and the other filters then narrow it.
  const choose = (id: string) => setFilters(id ? { view: id } : {}, {});
  if (small) {
    return (
      <TextField
        select
        size="small"
        label="View"
            id="tickets-view"
        value={current}
        onChange={(e) => choose(e.target.value)}
        fullWidth
        slotProps={{ select: { displayEmpty: true }, inputLabel: { shrink: true } }}
      >
        <MenuItem value="">All tickets</MenuItem>
        {(views ?? []).map((v) => (
          <MenuItem key={v.id} value={v.id}>
            {v.name} ({v.count})
          </MenuItem>
        ))}
      </TextField>
    );
  }
  const item = (id: string, name: string, count: number | undefined, own?: boolean) => (
    <Stack key={id || 'all'} direction="row" alignItems="center">
      <ListItemButton selected={current === id} onClick={() => choose(id)} sx={{ borderRadius: 1, py: 0.5 }} aria-current={current === id ? 'page' : undefined}>
        <ListItemText primary={name} slotProps={{ primary: { variant: 'body2', noWrap: true } }} />
        {count !== undefined && (
          <Typography variant="body2" color="text.secondary" sx={{ ml: 1 }}>
            {count}
          </Typography>
        )}
      </ListItemButton>
      {own && (
        <ConfirmAction
          name={`Delete the view ${name}`}
          icon={<DeleteOutlineIcon fontSize="small" />}
          title={`Delete the view “${name}”?`}
          content="The view goes from your list; its tickets stay as they are."
          confirm="Delete view"
          done="View deleted"
          run={async () => {
            await deleteView(id);
            if (current === id) choose('');
          }}
        />
      )}
    </Stack>
  );
  const builtIn = (views ?? []).filter((v) => v.builtIn);
  const saved = (views ?? []).filter((v) => !v.builtIn);
  return (
    // Narrower on a laptop's 1280 px, where the list's columns need the room.
    <Box component="nav" aria-label="Views" sx={{ width: { md: 200, xl: 230 }, flexShrink: 0 }}>
      <Typography variant="overline" color="text.secondary" component="h2" sx={{ px: 1 }}>
        Views
      </Typography>
      <MuiList dense disablePadding>
        {item('', 'All tickets', current === '' && !Object.keys(filterValues).length ? total : undefined)}
        {builtIn.map((v) => item(v.id, v.name, v.count))}
      </MuiList>
      {saved.length > 0 && (
        <>
          <Typography variant="overline" color="text.secondary" component="h2" sx={{ px: 1, mt: 1, display: 'block' }}>
            Your views
          </Typography>
          <MuiList dense disablePadding>
            {saved.map((v) => item(v.id, v.name, v.count, true))}
          </MuiList>
        </>
      )}
    </Box>
  );
}

/** Words of a ticket, or its number: #1001 and Enter opens that ticket. */
function SearchBox() {
  const { filterValues, setFilters, displayedFilters } = useListContext();
  const redirect = useRedirect();
  const notify = useNotify();
  const [text, setText] = useState(String(filterValues.q ?? ''));
  useEffect(() => setText(String(filterValues.q ?? '')), [filterValues.q]);
  const apply = (q: string) => {
    const { q: _old, ...rest } = filterValues;
    setFilters(q.trim() ? { ...rest, q } : rest, displayedFilters);
  };
  // Enter on a number opens that ticket: the list then stays as it was.
  const opening = useRef(false);
  useEffect(() => {
    if (text === String(filterValues.q ?? '') || opening.current) return;
    const timer = setTimeout(() => !opening.current && apply(text), 400);
    return () => clearTimeout(timer);
  }, [text]);
  const onKey = async (e: KeyboardEvent) => {
    if (e.key !== 'Enter') return;
    const n = NUMBER.exec(text.trim());
    if (!n) return apply(text);
    opening.current = true;
    const id = await ticketIdByNumber(Number(n[1]));
    if (id) redirect('show', 'tickets', id);
    else {
      opening.current = false;
      notify(`There is no ticket #${n[1]} you can see`, { type: 'info' });
      apply(text);
    }
  };
  return (
    <TextField
      size="small"
      value={text}
      onChange={(e) => setText(e.target.value)}
      onKeyDown={onKey}
      placeholder="Search tickets, or #1001"
      sx={{ flex: 1, minWidth: { xs: '100%', sm: 260 } }}
      slotProps={{
        htmlInput: { 'aria-label': 'Search tickets', maxLength: 200 },
        input: {
          startAdornment: (
            <InputAdornment position="start">
              <SearchIcon fontSize="small" />
            </InputAdornment>
          ),
        },
      }}
    />
  );
}

function GroupFilter() {
  const { filterValues, setFilters } = useListContext();
  const groups = useGroups(true);
  return (
    <ChoiceSelect id="filter-group" label="Group" emptyLabel="Any group" choices={groups} value={String(filterValues.groupId ?? '')} onChange={(v) => setFilters({ ...filterValues, groupId: v || undefined }, {})} />
  );
}

function OrganizationFilter() {
  const { filterValues, setFilters } = useListContext();
  const [orgs, setOrgs] = useState<{ id: string; name: string }[]>([]);
  useEffect(() => {
    listOrganizations()
      .then(setOrgs)
      .catch(() => setOrgs([]));
  }, []);
  return (
    <ChoiceSelect
      id="filter-organization"
      label="Organization"
      emptyLabel="Any organization"
      choices={orgs}
      value={String(filterValues.organizationId ?? '')}
      onChange={(v) => setFilters({ ...filterValues, organizationId: v || undefined }, {})}
    />
  );
}

/** The filters beyond the view and search: people, group, tags, status, priority and dates. */
function FilterPanel() {
  const access = useTicketAccess();
  const { filterValues, setFilters } = useListContext();
  const set = (patch: Record<string, unknown>) => {
    const next = { ...filterValues, ...patch };
    for (const k of Object.keys(next)) if (next[k] === undefined || next[k] === '' || (Array.isArray(next[k]) && !next[k].length)) delete next[k];
    setFilters(next, {});
  };
  const person = (key: 'assignee' | 'requester'): Person | null =>
    filterValues[`${key}Id`] ? { id: String(filterValues[`${key}Id`]), name: String(filterValues[`${key}Name`] ?? 'Chosen person') } : null;
  const date = (key: string, label: string) => (
    <TextField
      size="small"
      type="date"
      label={label}
      value={filterValues[key] ?? ''}
      onChange={(e) => set({ [key]: e.target.value || undefined })}
      slotProps={{ inputLabel: { shrink: true } }}
    />
  );
  return (
    <Card variant="outlined" sx={{ p: 2 }} component="section" aria-label="Filters">
      <Box sx={{ display: 'grid', gridTemplateColumns: 'repeat(auto-fill, minmax(200px, 1fr))', gap: 2 }}>
        <ChoiceSelect id="filter-status" label="Status" emptyLabel="Any status" choices={STATUS_CHOICES} value={String(filterValues.status ?? '')} onChange={(v) => set({ status: v || undefined })} />
        <ChoiceSelect id="filter-priority" label="Priority" emptyLabel="Any priority" choices={PRIORITY_CHOICES} value={String(filterValues.priority ?? '')} onChange={(v) => set({ priority: v || undefined })} />
        {access.people && (
          <>
            <PersonPicker label="Assignee" staffOnly value={person('assignee')} onChange={(p) => set({ assigneeId: p?.id, assigneeName: p?.name })} />
            <PersonPicker label="Requester" value={person('requester')} onChange={(p) => set({ requesterId: p?.id, requesterName: p?.name })} />
          </>
        )}
        {access.groups && <GroupFilter />}
        {access.orgs && <OrganizationFilter />}
        {access.desk && (
          <Box>
            <WordsPicker kind="tags" label="Tags (all of them)" value={(filterValues.tags as string[]) ?? []} onChange={(tags) => set({ tags })} />
          </Box>
        )}
        {date('createdAfter', 'Created from')}
        {date('createdBefore', 'Created until')}
        {date('updatedAfter', 'Updated from')}
        {date('updatedBefore', 'Updated until')}
      </Box>
    </Card>
  );
}

/** Saves the list's current filters (and search) as a view of one's own. */
function SaveViewButton({ onSaved }: { onSaved: () => void }) {
  const { filterValues, setFilters } = useListContext();
  const notify = useNotify();
  const [open, setOpen] = useState(false);
  const [name, setName] = useState('');
  const [error, setError] = useState<string | undefined>();
  const own = Object.fromEntries(Object.entries(filterValues).filter(([k]) => FILTER_KEYS.includes(k)));
  const disabled = !Object.keys(own).length;
  const save = async () => {
    try {
      const view = await createView(name.trim(), ticketFilter(own));
      notify(`View “${view.name}” saved`, { type: 'success' });
      setOpen(false);
      setName('');
      setFilters({ view: view.id }, {});
      onSaved();
    } catch (e) {
      setError(e instanceof GraphQLRequestError ? e.serverMessage : (e as Error).message);
    }
  };
  return (
    <>
      <Button size="small" startIcon={<BookmarkAddIcon />} disabled={disabled} onClick={() => setOpen(true)} title={disabled ? 'Search or filter first, then save it as a view' : undefined}>
        Save this view
      </Button>
      <Dialog open={open} onClose={() => setOpen(false)} aria-labelledby="save-view-title" fullWidth maxWidth="xs">
        <DialogTitle id="save-view-title">Save this view</DialogTitle>
        <DialogContent>
          <Typography variant="body2" color="text.secondary" sx={{ mb: 2 }}>
            Only you see your views. The search and filters you have set now are kept; the counts follow the tickets.
          </Typography>
          <TextField
            autoFocus
            fullWidth
            label="Name of the view"
            value={name}
            onChange={(e) => {
              setName(e.target.value);
              setError(undefined);
            }}
            onKeyDown={(e) => e.key === 'Enter' && name.trim() && void save()}
            error={!!error}
            helperText={error}
            slotProps={{ htmlInput: { maxLength: 60 } }}
          />
        </DialogContent>
        <DialogActions>
          <Button onClick={() => setOpen(false)}>Cancel</Button>
          <Button variant="contained" disabled={!name.trim()} onClick={save}>
            Save view
          </Button>
        </DialogActions>
      </Dialog>
    </>
  );
}

/**
 * D12: the tickets the list's filters select, as a file made by the server (exportTickets: its
 * permission, a recent password, an audit event), never assembled in the browser from pages.
 */
function ExportTicketsButton() {
  const { filterValues } = useListContext();
  return (
    <ExportButton
      why="The export holds every ticket you can see, with the requesters' contact details."
      prepare={async (format) =>
        (
          await gql<{ exportTickets: { url: string } }>(`mutation($format: ExportFormat!, $filter: TicketFilter) { exportTickets(format: $format, filter: $filter) { url expiresAt } }`, {
            format: format.toUpperCase(),
            filter: ticketFilter(filterValues ?? {}),
          })
        ).exportTickets
      }
    />
  );
}

function TicketTable({ showGroups }: { showGroups: boolean }) {
  const small = useMediaQuery((t: Theme) => t.breakpoints.down('md'));
  const groups = useGroups(showGroups && !small);
  const empty = (
    <Typography variant="body2" color="text.secondary" sx={{ p: 3 }}>
      No tickets match. Try another view, or fewer words.
    </Typography>
  );
  if (small) {
    return (
      <SimpleList<TicketRecord>
        linkType="show"
        primaryText={(t) => `${ticketRef(t.number)} ${t.subject}`}
        secondaryText={(t) => `${t.requester.name} · ${priorityName(t.priority)} · ${t.assignee?.name ?? 'Unassigned'}`}
        tertiaryText={(t) => <StatusChip status={t.status} />}
        empty={empty}
        sx={{ '& .RaSimpleList-tertiary': { opacity: 1 }, '& .MuiListItemText-primary': { overflowWrap: 'anywhere' } }}
      />
    );
  }
  return (
    <Datagrid rowClick="show" bulkActionButtons={false} empty={empty} sx={{ '& .RaDatagrid-rowCell': { py: 1 } }}>
      <FunctionField<TicketRecord> source="number" label="#" sortBy="number" render={(t) => <Box sx={{ color: 'text.secondary', whiteSpace: 'nowrap' }}>{ticketRef(t.number)}</Box>} />
      {/* A subject of one long word (a pasted link) wraps instead of widening the whole page. */}
      <FunctionField<TicketRecord> source="subject" label="Subject" sx={{ overflowWrap: 'anywhere' }} render={(t) => t.subject} />
      <FunctionField<TicketRecord> label="Requester" render={(t) => <Box sx={{ whiteSpace: 'nowrap' }}>{t.requester.name}</Box>} />
      <FunctionField<TicketRecord> source="status" label="Status" render={(t) => <StatusChip status={t.status} />} />
      <FunctionField<TicketRecord> source="priority" label="Priority" render={(t) => priorityName(t.priority)} />
      <FunctionField<TicketRecord> label="Assignee" render={(t) => <Box sx={{ whiteSpace: 'nowrap', color: t.assignee ? undefined : 'text.secondary' }}>{t.assignee?.name ?? 'Unassigned'}</Box>} />
      {showGroups && <FunctionField<TicketRecord> label="Group" render={(t) => groups.find((g) => g.id === t.groupId)?.name ?? '—'} />}
      <FunctionField<TicketRecord> source="updatedAt" label="Updated" render={(t) => <When value={t.updatedAt} relative />} />
    </Datagrid>
  );
}

function TicketListBody() {
  const access = useTicketAccess();
  const { views, reload } = useViews();
  const { filterValues } = useListContext();
  const active = Object.keys(filterValues).filter((k) => FILTER_KEYS.includes(k) && k !== 'q').length;
  const [showFilters, setShowFilters] = useState(active > 0);
  const { canAccess: canExport } = useCanAccess({ resource: 'tickets', action: 'export' });
  return (
    <Box sx={{ py: 2, px: { xs: 0, sm: 1 } }}>
      <Title title="Tickets" />
      <Stack direction={{ xs: 'column', md: 'row' }} spacing={2} alignItems="flex-start">
        <ViewsColumn views={views} />
        <Stack spacing={1.5} sx={{ flex: 1, minWidth: 0, width: '100%' }}>
          <Stack direction="row" spacing={1} alignItems="center" flexWrap="wrap" useFlexGap>
            <SearchBox />
            <Button size="small" startIcon={<Badge badgeContent={active} color="primary"><FilterListIcon /></Badge>} onClick={() => setShowFilters((s) => !s)} aria-expanded={showFilters}>
              Filters
            </Button>
            <SaveViewButton onSaved={reload} />
            {canExport && <ExportTicketsButton />}
            {access.create && (
              <Button variant="contained" size="small" component={Link} to="/tickets/create" startIcon={<AddIcon />}>
                New ticket
              </Button>
            )}
          </Stack>
          {showFilters && <FilterPanel />}
          <Card variant="outlined" sx={{ overflowX: 'auto' }}>
            <TicketTable showGroups={access.groups} />
          </Card>
          <Pagination rowsPerPageOptions={[25, 50, 100]} />
        </Stack>
      </Stack>
    </Box>
  );
}

export function TicketList() {
  return (
    <ListBase resource="tickets" sort={{ field: 'updatedAt', order: 'DESC' }} perPage={25}>
      <TicketListBody />
    </ListBase>
  );
}
