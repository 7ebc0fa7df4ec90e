import CategoryIcon from '@mui/icons-material/Category';
import PersonIcon from '@mui/icons-material/Person';
import RuleIcon from '@mui/icons-material/Rule';
import TuneIcon from '@mui/icons-material/Tune';
import { Box, Button, Card, CardContent, CircularProgress, Stack, Typography } from '@mui/material';
import { useMemo } from 'react';
import {
  AutocompleteArrayInput,
  Datagrid,
  DateTimeInput,
  FilterButton,
  FilterList,
  FilterListItem,
  FunctionField,
  InfiniteList,
  SavedQueriesList,
  SearchInput,
  SelectInput,
  TextField,
  TextInput,
  TopToolbar,
  useInfinitePaginationContext,
  useListContext,
} from 'react-admin';
import { featureLabel, WhenField, WIDE_ONLY } from '@bulwark/platform-console';
import { ActorCell, OutcomeChip, OUTCOME_CHOICES, TargetCell, targetLabel, useAuditActions } from './audit.common';
import { ActorFilter, TargetFilter } from './audit.filters';
import type { AuditActionInfo, AuditEvent } from './audit.data';
import { ExportAuditButton, VerifyChainButton } from './audit.toolbar';

const PER_PAGE = 50;

function auditFilters(actions: AuditActionInfo[]) {
  const choices = [...actions].sort((a, b) => a.feature.localeCompare(b.feature) || a.description.localeCompare(b.description));
  const targets = [...new Set(actions.map((a) => a.target).filter((t): t is string => !!t))].map((t) => ({ id: t, name: targetLabel(t) })).sort((a, b) => a.name.localeCompare(b.name));
  return [
    <SearchInput key="q" source="q" alwaysOn />,
    <AutocompleteArrayInput
      key="actions"
      source="actions"
      label="Actions"
      alwaysOn
      choices={choices}
      optionValue="key"
      optionText="description"
      groupBy={(a) => featureLabel(String((a as { feature?: string }).feature ?? ''))}
      sx={{ minWidth: 280 }}
    />,
    <SelectInput key="outcome" source="outcome" label="Outcome" choices={OUTCOME_CHOICES} alwaysOn />,
    <DateTimeInput key="from" source="from" label="From" />,
    <DateTimeInput key="to" source="to" label="Before" />,
    <ActorFilter key="actorId" source="actorId" label="Person who acted" />,
    <SelectInput key="targetType" source="targetType" label="Target type" choices={targets} />,
    <TargetFilter key="targetId" source="targetId" label="Which record" />,
    <TextInput key="ip" source="ip" label="IP address" />,
  ];
}

/** Who acted: vendor support under a grant is the one people look for most (issue 18). */
const ACTOR_CHOICES = [
  { id: 'user', name: 'People' },
  { id: 'token', name: 'API tokens' },
  { id: 'support', name: 'Vendor support' },
  { id: 'system', name: 'The system' },
];

const sameActions = (value: { actions: string[] }, filters: { actions?: string[] }) =>
  JSON.stringify([...value.actions].sort()) === JSON.stringify([filters.actions ?? []].flat().sort());

/** Saved queries (kept in react-admin's store, per browser) and one-click filters. */
function AuditSidebar({ actions }: { actions: AuditActionInfo[] }) {
  const config = actions.filter((a) => a.config).map((a) => a.key);
  const features = [...new Set(actions.map((a) => a.feature))].sort();
  return (
    // On a phone the list needs the whole width; the same filters are under the filter button.
    <Card sx={{ order: -1, mr: 2, mt: 8, width: 210, flexShrink: 0, alignSelf: 'flex-start', display: { xs: 'none', md: 'block' } }}>
      <CardContent>
        <SavedQueriesList />
        <FilterList label="Outcome" icon={<RuleIcon />}>
          {OUTCOME_CHOICES.map((o) => (
            <FilterListItem key={o.id} label={o.name} value={{ outcome: o.id }} />
          ))}
        </FilterList>
        <FilterList label="Who" icon={<PersonIcon />}>
          {ACTOR_CHOICES.map((o) => (
            <FilterListItem key={o.id} label={o.name} value={{ actorType: o.id }} />
          ))}
        </FilterList>
        <FilterList label="Kind" icon={<TuneIcon />}>
          {config.length > 0 && <FilterListItem label="Configuration changes" value={{ actions: config }} isSelected={sameActions} />}
        </FilterList>
        <FilterList label="Feature" icon={<CategoryIcon />}>
          {features.map((f) => (
            <FilterListItem
              key={f}
              label={featureLabel(f)}
              value={{ actions: actions.filter((a) => a.feature === f).map((a) => a.key) }}
              isSelected={sameActions}
            />
          ))}
        </FilterList>
      </CardContent>
    </Card>
  );
}

/** Keyset paging: no page numbers and no total, only older events after the ones shown. */
function LoadOlder() {
  const { isPending, data } = useListContext();
  const { fetchNextPage, hasNextPage, isFetchingNextPage } = useInfinitePaginationContext();
  if (isPending || !data?.length) return null;
  return (
    <Stack direction="row" spacing={2} alignItems="center" justifyContent="center" sx={{ py: 2 }}>
      <Typography variant="body2" color="text.secondary">
        {data.length === 1 ? 'The newest event shown' : `${data.length} newest events shown`}
      </Typography>
      {hasNextPage ? (
        <Button variant="outlined" size="small" onClick={() => fetchNextPage?.()} disabled={isFetchingNextPage} startIcon={isFetchingNextPage ? <CircularProgress size={16} /> : undefined}>
          Load older
        </Button>
      ) : (
        <Typography variant="body2" color="text.secondary">
          No older events
        </Typography>
      )}
    </Stack>
  );
}

const Actions = () => (
  <TopToolbar>
    <FilterButton />
    <VerifyChainButton />
    <ExportAuditButton />
  </TopToolbar>
);

const Empty = () => (
  <Box sx={{ p: 3 }}>
    <Typography variant="body2" color="text.secondary">
      No events match these filters.
    </Typography>
  </Box>
);

export function AuditList() {
  const actions = useAuditActions();
  const filters = useMemo(() => auditFilters(actions), [actions]);
  return (
    <InfiniteList
      title="Audit log"
      filters={filters}
      perPage={PER_PAGE}
      pagination={<LoadOlder />}
      actions={<Actions />}
      aside={<AuditSidebar actions={actions} />}
      exporter={false}
      empty={false}
    >
      <Datagrid rowClick="show" bulkActionButtons={false} empty={<Empty />}>
        <WhenField source="occurredAt" label="Time" relative sortable={false} />
        <FunctionField label="Actor" render={(e: AuditEvent) => <ActorCell event={e} />} />
        <FunctionField label="Action" render={(e: AuditEvent) => e.actionDescription} />
        <FunctionField label="Target" render={(e: AuditEvent) => <TargetCell event={e} />} />
        <FunctionField label="Outcome" render={(e: AuditEvent) => <OutcomeChip outcome={e.outcome} />} />
        <TextField source="ip" label="IP address" sortable={false} emptyText="—" headerClassName={WIDE_ONLY} cellClassName={WIDE_ONLY} />
      </Datagrid>
    </InfiniteList>
  );
}
