import { Autocomplete, Box, Chip, MenuItem, TextField, type SxProps } from '@mui/material';
import { useCallback, useEffect, useState } from 'react';
import { useCanAccess } from 'react-admin';
import { FormatButtons, LinkButtons, ListButtons, QuoteButtons, RichTextInputToolbar } from 'ra-input-rich-text';
import { gql } from '@bulwark/platform-console';
import { searchPeople, searchTags, type Person } from './tickets.data';
import { PRIORITY_CHOICES, STATUS_CHOICES, STATUS_COLOR } from './tickets.choices';

/** What the signed-in person may do on the agent's screens; the server decides, this only hides. */
export function useTicketAccess() {
  const edit = useCanAccess({ resource: 'tickets', action: 'edit' });
  const viewAll = useCanAccess({ resource: 'tickets', action: 'viewAll' });
  const comment = useCanAccess({ resource: 'tickets', action: 'comment' });
  const notes = useCanAccess({ resource: 'tickets', action: 'internalNotes' });
  const create = useCanAccess({ resource: 'tickets', action: 'create' });
  const people = useCanAccess({ resource: 'users', action: 'list' });
  const groups = useCanAccess({ resource: 'groups', action: 'list' });
  const orgs = useCanAccess({ resource: 'tickets', action: 'organizations' });
  return {
    /** Every answer is in (the first ones come from the server). */
    ready: ![edit, viewAll, comment, notes, create, people, groups, orgs].some((a) => a.isPending),
    edit: !!edit.canAccess,
    /** The desk's own notes (tags, history): like the server's isDeskStaff. */
    desk: !!edit.canAccess || !!viewAll.canAccess,
    comment: !!comment.canAccess,
    internalNotes: !!notes.canAccess,
    create: !!create.canAccess,
    people: !!people.canAccess,
    groups: !!groups.canAccess,
    orgs: !!orgs.canAccess,
  };
}

export const statusName = (s: string) => STATUS_CHOICES.find((c) => c.id === s)?.name ?? s;
export const priorityName = (p: string) => PRIORITY_CHOICES.find((c) => c.id === p)?.name ?? p;

export function StatusChip({ status, size = 'small' }: { status: string; size?: 'small' | 'medium' }) {
  return <Chip size={size} label={statusName(status)} color={STATUS_COLOR[status] ?? 'default'} variant={status === 'CLOSED' ? 'outlined' : 'filled'} />;
}

/** "#1001": how people read and type a ticket's number. */
export const ticketRef = (n: number) => `#${n}`;

/** Asks `search(text)` as the person types, a moment after they stop. */
function useSearch<T>(search: (text: string) => Promise<T[]>, text: string, enabled: boolean) {
  const [options, setOptions] = useState<T[]>([]);
  const [loading, setLoading] = useState(false);
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    setLoading(true);
    const timer = setTimeout(() => {
      search(text)
        .then((r) => live && setOptions(r))
        .catch(() => live && setOptions([]))
        .finally(() => live && setLoading(false));
    }, 250);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [search, text, enabled]);
  return { options, loading };
}

/** A person, picked by name from the people one may read (staff only for assignees). */
export function PersonPicker({
  label,
  value,
  onChange,
  staffOnly = false,
  disabled,
  error,
  helperText,
  noneLabel,
  sx,
}: {
  label: string;
  value: Person | null;
  onChange: (p: Person | null) => void;
  staffOnly?: boolean;
  disabled?: boolean;
  error?: string;
  helperText?: string;
  /** Shown when nobody is picked ("Unassigned"). */
  noneLabel?: string;
  sx?: SxProps;
}) {
  const [text, setText] = useState('');
  const [open, setOpen] = useState(false);
  const find = useCallback((t: string) => searchPeople(t, staffOnly), [staffOnly]);
  const { options, loading } = useSearch(find, text, open);
  return (
    <Autocomplete
      sx={sx}
      size="small"
      open={open}
      onOpen={() => setOpen(true)}
      onClose={() => setOpen(false)}
      value={value}
      disabled={disabled}
      options={value && !options.some((o) => o.id === value.id) ? [value, ...options] : options}
      loading={loading}
      filterOptions={(x) => x}
      isOptionEqualToValue={(a, b) => a.id === b.id}
      getOptionLabel={(p) => p.name}
      renderOption={(props, p) => (
        <Box component="li" {...props} key={p.id}>
          <span>
            {p.name}
            {p.email && (
              <Box component="span" sx={{ color: 'text.secondary', ml: 1, fontSize: '0.85em' }}>
                {p.email}
              </Box>
            )}
          </span>
        </Box>
      )}
      onInputChange={(_e, v, reason) => reason === 'input' && setText(v)}
      onChange={(_e, p) => onChange(p)}
      noOptionsText={text ? 'Nobody by that name' : 'Type a name'}
      loadingText="Looking…"
      renderInput={(params) => <TextField {...params} label={label} placeholder={value ? undefined : noneLabel} error={!!error} helperText={error ?? helperText} />}
    />
  );
}

/** Free words as chips (tags from those in use; addresses typed), saved as a whole list. */
export function WordsPicker({
  label,
  value,
  onChange,
  kind,
  disabled,
  error,
  helperText,
}: {
  label: string;
  value: string[];
  onChange: (v: string[]) => void;
  kind: 'tags' | 'emails';
  disabled?: boolean;
  error?: string;
  helperText?: string;
}) {
  const [text, setText] = useState('');
  const [open, setOpen] = useState(false);
  const { options } = useSearch(searchTags, text, open && kind === 'tags');
  // Tags are lower-case words (spaces become '-'), as the server stores them.
  const clean = (v: string) => (kind === 'tags' ? v.trim().toLowerCase().replace(/\s+/g, '-') : v.trim());
  return (
    <Autocomplete
      multiple
      freeSolo
      size="small"
      open={open && kind === 'tags'}
      onOpen={() => setOpen(true)}
      onClose={() => setOpen(false)}
      disabled={disabled}
      options={options.filter((o) => !value.includes(o))}
      value={value}
      inputValue={text}
      filterOptions={(x) => x}
      onInputChange={(_e, v, reason) => setText(reason === 'reset' ? '' : v)}
      onChange={(_e, v) => onChange([...new Set(v.map(clean).filter(Boolean))])}
      // A word typed and left (not Enter) is kept too: people expect what they typed to count.
      onBlur={() => {
        if (clean(text)) onChange([...new Set([...value, clean(text)])]);
        setText('');
      }}
      renderValue={(v, getItemProps) => v.map((option, index) => <Chip size="small" label={option} {...getItemProps({ index })} key={option} />)}
      renderInput={(params) => (
        <TextField
          {...params}
          label={label}
          placeholder={kind === 'tags' ? 'Add a tag' : 'Add an address'}
          type="text"
          error={!!error}
          helperText={error ?? helperText}
        />
      )}
    />
  );
}

/** The tenant's groups, by name (few; the API does not page them), for pickers, the filter and the column. */
export function useGroups(enabled: boolean) {
  const [groups, setGroups] = useState<{ id: string; name: string }[]>([]);
  useEffect(() => {
    if (!enabled) return;
    gql<{ ticketGroups: { id: string; name: string }[] }>(`{ ticketGroups { id name } }`)
      .then((d) => setGroups(d.ticketGroups))
      .catch(() => setGroups([]));
  }, [enabled]);
  return groups;
}

/** The formatting a reply or description offers: text styles, lists, links and quotes (files are attachments). */
export const RICH_TEXT_TOOLBAR = (
  <RichTextInputToolbar size="small">
    <FormatButtons size="small" />
    <ListButtons size="small" />
    <LinkButtons size="small" />
    <QuoteButtons size="small" />
  </RichTextInputToolbar>
);

/**
 * One of a few choices (status, priority, group), by name; `emptyLabel` offers "none" (value '').
 * The `id` names the field for labels and tests.
 */
export function ChoiceSelect({
  id,
  label,
  value,
  choices,
  onChange,
  emptyLabel,
  disabled,
  error,
}: {
  id: string;
  label: string;
  value: string;
  choices: readonly { id: string; name: string }[];
  onChange: (v: string) => void;
  emptyLabel?: string;
  disabled?: boolean;
  error?: string;
}) {
  return (
    <TextField
      select
      size="small"
      id={id}
      label={label}
      value={value}
      disabled={disabled}
      error={!!error}
      helperText={error}
      onChange={(e) => onChange(e.target.value)}
      slotProps={emptyLabel ? { select: { displayEmpty: true }, inputLabel: { shrink: true } } : undefined}
    >
      {emptyLabel && <MenuItem value="">{emptyLabel}</MenuItem>}
      {choices.map((c) => (
        <MenuItem key={c.id} value={c.id}>
          {c.name}
        </MenuItem>
      ))}
    </TextField>
  );
}
