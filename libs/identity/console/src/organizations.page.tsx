import AddIcon from '@mui/icons-material/Add';
import DeleteIcon from '@mui/icons-material/Delete';
import EditIcon from '@mui/icons-material/Edit';
import { Alert, Autocomplete, Box, Button, Chip, Dialog, DialogActions, DialogContent, DialogTitle, IconButton, Stack, TextField, Tooltip, Typography, useMediaQuery, type Theme } from '@mui/material';
import { useEffect, useState } from 'react';
import { DataTable, List, SearchInput, TopToolbar, useCanAccess, useDataProvider, useNotify, useRefresh } from 'react-admin';
import { ConfirmAction, GraphQLRequestError } from '@bulwark/platform-console';
import type { Organization } from './organizations.data';

type Fields = { name: string; domains: string[] };
type FieldErrors = Partial<Record<keyof Fields, string>>;

/** What the server's field reasons mean, said for a person (the sentence itself comes with the error). */
const DOMAIN_HELP = 'Press Enter after each domain. New requesters with an address there join this organization.';

/** A domain as typed, trimmed of what people paste with it (`@`, a final dot). */
const tidy = (d: string) => d.trim().toLowerCase().replace(/^@/, '').replace(/\.$/, '');

function OrganizationDialog({
  open,
  organization,
  onClose,
  onSave,
}: {
  open: boolean;
  organization: Organization | null;
  onClose: () => void;
  /** Resolves with the errors to show on the fields, or nothing when it was saved. */
  onSave: (fields: Fields) => Promise<FieldErrors | void>;
}) {
  const [name, setName] = useState('');
  const [domains, setDomains] = useState<string[]>([]);
  const [typing, setTyping] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (open) {
      setName(organization?.name ?? '');
      setDomains(organization?.domains ?? []);
      setTyping('');
      setErrors({});
    }
  }, [open, organization]);
  const save = async () => {
    setBusy(true);
    try {
      // A domain typed but not yet turned into a chip is meant too.
      const all = [...domains, ...(tidy(typing) ? [tidy(typing)] : [])];
      setErrors((await onSave({ name: name.trim(), domains: [...new Set(all)] })) ?? {});
    } finally {
      setBusy(false);
    }
  };
  const title = organization ? `Edit ${organization.name}` : 'New organization';
  return (
    <Dialog open={open} onClose={onClose} aria-labelledby="organization-title" maxWidth="sm" fullWidth>
      <DialogTitle id="organization-title">{title}</DialogTitle>
      <DialogContent>
        <Stack spacing={2} sx={{ mt: 1 }}>
          <TextField
            label="Name"
            value={name}
            onChange={(e) => {
              setName(e.target.value);
              setErrors((x) => ({ ...x, name: undefined })); // said of what was there before
            }}
            inputProps={{ maxLength: 120 }}
            required
            autoFocus
            error={!!errors.name}
            helperText={errors.name}
          />
          <Autocomplete
            multiple
            freeSolo
            options={[] as string[]}
            value={domains}
            inputValue={typing}
            onInputChange={(_e, v) => setTyping(v)}
            onChange={(_e, v) => {
              setDomains([...new Set(v.map(tidy).filter(Boolean))]);
              setErrors((x) => ({ ...x, domains: undefined }));
            }}
            renderTags={(value, getTagProps) => value.map((d, i) => <Chip {...getTagProps({ index: i })} key={d} size="small" label={d} />)}
            renderInput={(params) => (
              <TextField {...params} label="Email domains" placeholder="example.com" error={!!errors.domains} helperText={errors.domains ?? DOMAIN_HELP} />
            )}
          />
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button variant="contained" onClick={save} disabled={busy || !name.trim()}>
          {organization ? 'Save' : 'Create organization'}
        </Button>
      </DialogActions>
    </Dialog>
  );
}

/**
 * The requesters' organizations: a searchable, paged list with how many people each has. Staff
 * who may read them see it; creating, changing and deleting is the `manage` action (the server
 * decides either way).
 */
export function OrganizationsList() {
  const notify = useNotify();
  const refresh = useRefresh();
  const dataProvider = useDataProvider();
  const narrow = useMediaQuery((theme: Theme) => theme.breakpoints.down('sm'));
  const canManage = !!useCanAccess({ resource: 'organizations', action: 'manage' }).canAccess;
  // The organization stays set while its dialog fades out, so that the title keeps its name.
  const [editing, setEditing] = useState<Organization | null>(null);
  const [editOpen, setEditOpen] = useState(false);
  const edit = (o: Organization | null) => {
    setEditing(o);
    setEditOpen(true);
  };

  const save = async (fields: Fields): Promise<FieldErrors | void> => {
    const org = editing;
    try {
      if (org) await dataProvider.update('organizations', { id: org.id, data: fields, previousData: org });
      else await dataProvider.create('organizations', { data: fields });
      setEditOpen(false);
      notify(org ? `${fields.name} saved` : `Organization ${fields.name} created`, { type: 'success' });
      refresh();
    } catch (e) {
      // Shown on its field (a domain that is not one, or is another organization's); else a notice.
      const message = e instanceof GraphQLRequestError ? e.serverMessage : (e as Error).message;
      const on = e instanceof GraphQLRequestError && e.fields ? (Object.keys(e.fields).filter((k) => k === 'name' || k === 'domains') as (keyof Fields)[]) : [];
      if (on.length) return Object.fromEntries(on.map((k) => [k, message]));
      notify(message, { type: 'error' });
    }
  };

  return (
    <>
      <List
        resource="organizations"
        title="Organizations"
        filters={[<SearchInput key="q" source="q" alwaysOn placeholder="Search by name or domain" />]}
        sort={{ field: 'name', order: 'ASC' }}
        disableSyncWithLocation
        // No toolbar at all for those who cannot add one (an empty one is a blank band on a phone).
        actions={
          canManage && (
            <TopToolbar>
              <Button variant="contained" startIcon={<AddIcon />} onClick={() => edit(null)} aria-label="New organization">
                {narrow ? 'New' : 'New organization'}
              </Button>
            </TopToolbar>
          )
        }
        empty={false}
      >
        <Box sx={{ px: 2, pt: 1 }}>
          <Typography variant="body2" color="text.secondary">
            The companies your requesters work for. New requesters join the organization of their email domain.
          </Typography>
          {!canManage && (
            <Alert severity="info" sx={{ mt: 1 }}>
              You can see organizations; changing them needs the “manage organizations” permission.
            </Alert>
          )}
        </Box>
        <DataTable aria-label="Organizations" bulkActionButtons={false} rowClick={false} hover={false} empty={<Empty />}>
          <DataTable.Col<Organization>
            label="Name"
            disableSort
            render={(o) => (
              <>
                {o.name}
                {/* Narrow screens: the domains under the name, not a column of their own. */}
                {narrow && <Domains domains={o.domains} />}
              </>
            )}
          />
          {!narrow && <DataTable.Col<Organization> label="Domains" disableSort render={(o) => <Domains domains={o.domains} />} />}
          <DataTable.Col<Organization> label="People" align="right" disableSort render={(o) => o.memberCount} />
          {!narrow && <DataTable.Col<Organization> label="Created" disableSort sx={{ whiteSpace: 'nowrap' }} render={(o) => new Date(o.createdAt).toLocaleDateString()} />}
          {canManage && (
            <DataTable.Col<Organization>
              label="Manage"
              align="right"
              disableSort
              sx={{ whiteSpace: 'nowrap' }}
              render={(o) => (
                <>
                  {narrow ? (
                    <Tooltip title={`Edit ${o.name}`}>
                      <IconButton size="small" aria-label={`Edit ${o.name}`} onClick={() => edit(o)}>
                        <EditIcon fontSize="small" />
                      </IconButton>
                    </Tooltip>
                  ) : (
                    <Button size="small" aria-label={`Edit ${o.name}`} onClick={() => edit(o)}>
                      Edit
                    </Button>
                  )}
                  <ConfirmAction
                    name={`Delete ${o.name}`}
                    label="Delete"
                    icon={narrow ? <DeleteIcon fontSize="small" /> : undefined}
                    title={`Delete the organization ${o.name}?`}
                    content={
                      o.memberCount
                        ? `Its ${o.memberCount === 1 ? 'one person stays' : `${o.memberCount} people stay`}, in no organization; their tickets stay too.`
                        : 'Nobody is in it. New requesters at its domains will no longer join an organization.'
                    }
                    confirm="Delete"
                    run={() => dataProvider.delete('organizations', { id: o.id, previousData: o })}
                    done={`Organization ${o.name} deleted`}
                  />
                </>
              )}
            />
          )}
        </DataTable>
      </List>
      <OrganizationDialog open={editOpen} organization={editing} onClose={() => setEditOpen(false)} onSave={save} />
    </>
  );
}

function Domains({ domains }: { domains: string[] }) {
  if (!domains.length) {
    return (
      <Typography variant="body2" color="text.secondary">
        No domains
      </Typography>
    );
  }
  return (
    <Stack direction="row" spacing={0.5} flexWrap="wrap" useFlexGap sx={{ mt: 0.5 }}>
      {domains.map((d) => (
        <Chip key={d} size="small" variant="outlined" label={d} />
      ))}
    </Stack>
  );
}

function Empty() {
  return (
    <Typography variant="body2" color="text.secondary" sx={{ p: 2 }}>
      No organizations found.
    </Typography>
  );
}
