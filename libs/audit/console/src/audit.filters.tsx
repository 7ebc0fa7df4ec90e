import ClearIcon from '@mui/icons-material/Clear';
import { IconButton, InputAdornment, TextField } from '@mui/material';
import { AutocompleteInput, ReferenceInput, useCanAccess, useInput, useListContext } from 'react-admin';
import { useRecordName } from '@bulwark/platform-console';
import { ACTOR_TYPES, targetLabel, targetResource } from './audit.common';

/**
 * A filter on one record, shown by its name, never its id: set by an event's "all their events" or
 * "all events for it" links, or picked by name where the console lists that kind of record. An id
 * the console cannot name (an API token, vendor support) shows shortened.
 */
function RecordFilter({ source, label, resource, field, empty, unnamed }: { source: string; label: string; resource?: string; field?: string; empty: string; unnamed: string }) {
  const { field: input } = useInput({ source });
  const id = typeof input.value === 'string' ? input.value : '';
  const name = useRecordName(resource, id, field);
  // Picked from a list only by those who may list that kind (an auditor without people's names
  // still filters through an event's links).
  const { canAccess } = useCanAccess({ resource: resource ?? '', action: 'list', enabled: !!resource });
  if (!id && resource && canAccess) {
    return (
      <ReferenceInput source={source} reference={resource}>
        <AutocompleteInput label={label} optionText={field} helperText={false} sx={{ minWidth: 220 }} />
      </ReferenceInput>
    );
  }
  return (
    <TextField
      name={source}
      label={label}
      value={id ? (name ?? unnamed) : ''}
      placeholder={empty}
      disabled={!id}
      size="small"
      variant="filled"
      sx={{ minWidth: 220, mb: '4px' }}
      slotProps={{
        input: {
          readOnly: true,
          endAdornment: id && (
            <InputAdornment position="end">
              <IconButton size="small" aria-label={`Clear ${label.toLowerCase()}`} onClick={() => input.onChange('')}>
                <ClearIcon fontSize="small" />
              </IconButton>
            </InputAdornment>
          ),
        },
        inputLabel: { shrink: true },
      }}
    />
  );
}

/** Who acted, picked among people by name; a token or vendor support by its kind. */
export function ActorFilter({ source, label }: { source: string; label: string; alwaysOn?: boolean }) {
  const { filterValues } = useListContext();
  const kind = typeof filterValues.actorType === 'string' ? ACTOR_TYPES[filterValues.actorType] : undefined;
  return (
    <RecordFilter
      source={source}
      label={label}
      resource="users"
      field="name"
      empty="Open an event, then “all their events”"
      unnamed={kind && filterValues.actorType !== 'user' ? `This ${kind.toLowerCase()}` : 'The one from the event you opened'}
    />
  );
}

/** Which record, of the kind chosen in "Target type": by name where the console lists that kind. */
export function TargetFilter({ source, label }: { source: string; label: string }) {
  const { filterValues } = useListContext();
  const type = typeof filterValues.targetType === 'string' ? filterValues.targetType : undefined;
  const named = targetResource(type);
  return (
    <RecordFilter
      source={source}
      label={type ? `Which ${targetLabel(type).toLowerCase()}` : label}
      resource={named?.resource}
      field={named?.name}
      empty={named ? 'Open an event, then “all events for it”' : 'Choose a person, ticket or group as the target type'}
      unnamed={type ? `This ${targetLabel(type).toLowerCase()}` : 'The one from the event you opened'}
    />
  );
}
