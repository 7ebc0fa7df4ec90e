import AddIcon from '@mui/icons-material/Add';
import {
  Box,
  Button,
  Checkbox,
  Chip,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  FormControl,
  FormControlLabel,
  FormGroup,
  FormHelperText,
  FormLabel,
  Link,
  MenuItem,
  Radio,
  RadioGroup,
  Stack,
  TextField,
  Tooltip,
  Typography,
} from '@mui/material';
import { useEffect, useMemo, useState } from 'react';
import { DataTable, useCanAccess, useNotify, usePermissions, useRefresh } from 'react-admin';
import { ConfirmAction, featureLabel, formatDateTime, gql, GraphQLRequestError, heldPermissionChoices, RecordListPage, RecordTable, withReauth, type Api, type ConsoleResource, type Permission } from '@bulwark/platform-console';

type Grant = Pick<
  Api.SupportGrant,
  'id' | 'ticketId' | 'ticketSubject' | 'access' | 'permissions' | 'supportTeam' | 'operators' | 'grantedByName' | 'createdAt' | 'expiresAt' | 'endedAt' | 'endReason' | 'active'
>;
type PermissionInfo = Pick<Api.PermissionInfo, 'key' | 'feature' | 'description'>;

const FIELDS = 'id ticketId ticketSubject access permissions supportTeam operators { id name } grantedByName createdAt expiresAt endedAt endReason active';
const LIST = `{ supportGrants { ${FIELDS} } }`;
const CATALOG = `{ permissionCatalog { key feature description } }`;
const OPERATORS = `{ supportOperators { id name } }`;
const REQUEST = `mutation($input: VendorSupportInput!) { requestVendorSupport(input: $input) { ${FIELDS} } }`;
const REVOKE = `mutation($id: ID!) { revokeSupportAccess(id: $id) { id active } }`;

const DURATIONS = [
  { hours: 24, label: '24 hours' },
  { hours: 72, label: '3 days' },
  { hours: 168, label: '7 days' },
  { hours: 720, label: '30 days (the most allowed)' },
];


const ENDED: Record<string, string> = { ticket_closed: 'Ended: request closed', expired: 'Expired', revoked: 'Revoked' };
const stateOf = (g: Grant) => (g.active ? 'Active' : (ENDED[g.endReason ?? ''] ?? 'Ended'));

/** The support-grants resource: every grant of the workspace, newest first. */
export const supportGrantsData: ConsoleResource['data'] = {
  async getList() {
    const grants = (await gql<Pick<Api.Query, 'supportGrants'>>(LIST)).supportGrants;
    return { data: grants as never, total: grants.length };
  },
};

interface RequestForm {
  subject: string;
  body: string;
  access: 'READ_ONLY' | 'CUSTOM';
  permissions: string[];
  hours: number;
  team: boolean;
  operatorIds: string[];
}
const EMPTY: RequestForm = { subject: '', body: '', access: 'READ_ONLY', permissions: [], hours: 72, team: true, operatorIds: [] };

function RequestDialog({ open, onClose, onDone }: { open: boolean; onClose: () => void; onDone: () => void }) {
  const notify = useNotify();
  const { permissions: mine } = usePermissions<Permission[]>();
  const [form, setForm] = useState<RequestForm>(EMPTY);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [catalog, setCatalog] = useState<PermissionInfo[]>([]);
  const [operators, setOperators] = useState<{ id: string; name: string }[]>([]);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!open) return;
    setForm(EMPTY);
    setErrors({});
    gql<Pick<Api.Query, 'permissionCatalog'>>(CATALOG)
      .then((d) => setCatalog(d.permissionCatalog))
      .catch(() => setCatalog([]));
    gql<Pick<Api.Query, 'supportOperators'>>(OPERATORS)
      .then((d) => setOperators(d.supportOperators))
      .catch(() => setOperators([]));
  }, [open]);
  // Only what the admin holds can be granted (the server refuses the rest too).
  const choices = useMemo(() => heldPermissionChoices(catalog, mine), [catalog, mine]);
  const set = <K extends keyof RequestForm>(k: K, v: RequestForm[K]) => setForm((f) => ({ ...f, [k]: v }));
  const toggle = (list: 'permissions' | 'operatorIds', key: string, on: boolean) => set(list, on ? [...form[list], key] : form[list].filter((k) => k !== key));

  const submit = async () => {
    setBusy(true);
    setErrors({});
    const input = {
      subject: form.subject.trim(),
      body: form.body.trim(),
      access: form.access,
      permissions: form.access === 'CUSTOM' ? form.permissions : null,
      hours: form.hours,
      operatorIds: form.team ? null : form.operatorIds,
    };
    try {
      await withReauth(() => gql(REQUEST, { input }));
      notify('Vendor support request opened, access granted', { type: 'success' });
      onDone();
    } catch (e) {
      const fields = (e as GraphQLRequestError).fields;
      if (fields && Object.keys(fields).length) setErrors(Object.fromEntries(Object.keys(fields).map((k) => [k, (e as GraphQLRequestError).serverMessage])));
      else notify((e as Error).message, { type: 'error' });
    } finally {
      setBusy(false);
    }
  };
  const ready = form.subject.trim() && form.body.trim() && (form.access === 'READ_ONLY' || form.permissions.length) && (form.team || form.operatorIds.length);
  return (
    <Dialog open={open} onClose={onClose} aria-labelledby="request-support-title" maxWidth="sm" fullWidth>
      <DialogTitle id="request-support-title">Request vendor support</DialogTitle>
      <DialogContent>
        <Stack spacing={2} sx={{ mt: 1 }}>
          <Typography variant="body2" color="text.secondary">
            This opens a vendor support request in your desk and lets the vendor’s support staff into this workspace’s data while it is open. Solving or closing the request
            ends their access at once.
          </Typography>
          <TextField label="What should they look at?" value={form.subject} onChange={(e) => set('subject', e.target.value)} required inputProps={{ maxLength: 200 }} error={!!errors.subject} helperText={errors.subject} />
          <TextField label="Describe the problem" value={form.body} onChange={(e) => set('body', e.target.value)} required multiline minRows={3} error={!!errors.body} helperText={errors.body} />
          <FormControl error={!!errors.permissions}>
            <FormLabel id="support-access-label">What they may do</FormLabel>
            <RadioGroup aria-labelledby="support-access-label" value={form.access} onChange={(e) => set('access', e.target.value as RequestForm['access'])}>
              <FormControlLabel value="READ_ONLY" control={<Radio />} label="Read only: tickets, people (without email or phone), roles, audit log and backups" />
              <FormControlLabel value="CUSTOM" control={<Radio />} label="Chosen permissions (only ones you hold)" />
            </RadioGroup>
            {errors.permissions && <FormHelperText>{errors.permissions}</FormHelperText>}
          </FormControl>
          {form.access === 'CUSTOM' &&
            choices.map(([feature, perms]) => (
              <Box key={feature} sx={{ pl: 2 }}>
                <Typography variant="body2" sx={{ fontWeight: 600 }}>
                  {featureLabel(feature)}
                </Typography>
                <FormGroup>
                  {perms.map((p) => (
                    <FormControlLabel
                      key={p.key}
                      control={<Checkbox size="small" checked={form.permissions.includes(p.key)} onChange={(e) => toggle('permissions', p.key, e.target.checked)} />}
                      label={<Typography variant="body2">{p.description}</Typography>}
                    />
                  ))}
                </FormGroup>
              </Box>
            ))}
          <TextField select label="For how long" value={form.hours} onChange={(e) => set('hours', Number(e.target.value))} error={!!errors.hours} helperText={errors.hours ?? 'Access ends earlier if the request is solved or closed'}>
            {DURATIONS.map((d) => (
              <MenuItem key={d.hours} value={d.hours}>
                {d.label}
              </MenuItem>
            ))}
          </TextField>
          <FormControl>
            <FormLabel id="support-who-label">Who</FormLabel>
            <RadioGroup aria-labelledby="support-who-label" value={form.team ? 'team' : 'named'} onChange={(e) => set('team', e.target.value === 'team')}>
              <FormControlLabel value="team" control={<Radio />} label="The vendor’s support team" />
              <FormControlLabel value="named" control={<Radio />} label="Only the people I choose" disabled={!operators.length} />
            </RadioGroup>
          </FormControl>
          {!form.team && (
            <FormGroup sx={{ pl: 2 }}>
              {operators.map((o) => (
                <FormControlLabel key={o.id} control={<Checkbox size="small" checked={form.operatorIds.includes(o.id)} onChange={(e) => toggle('operatorIds', o.id, e.target.checked)} />} label={o.name} />
              ))}
            </FormGroup>
          )}
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button variant="contained" onClick={submit} disabled={busy || !ready}>
          Open request and grant access
        </Button>
      </DialogActions>
    </Dialog>
  );
}

/**
 * Vendor support access: the vendor's staff reach this workspace only through a grant made here,
 * tied to a vendor support request; each one ends when the request closes, expires or is revoked.
 */
export function SupportAccessList() {
  const refresh = useRefresh();
  const [requesting, setRequesting] = useState(false);
  const { canAccess: mayManage } = useCanAccess({ resource: 'support-grants', action: 'manage' });
  const { canAccess: mayReadAudit } = useCanAccess({ resource: 'audit', action: 'list' });
  // The granted permissions in words (the catalog's descriptions), not their keys.
  const [catalog, setCatalog] = useState<PermissionInfo[]>([]);
  useEffect(() => {
    gql<Pick<Api.Query, 'permissionCatalog'>>(CATALOG)
      .then((d) => setCatalog(d.permissionCatalog))
      .catch(() => undefined);
  }, []);
  const inWords = (keys: readonly string[]) => keys.map((k) => catalog.find((p) => p.key === k)?.description ?? k).join('; ');
  return (
    <RecordListPage
      title="Vendor support access"
      description="The vendor’s support staff see this workspace’s data only through access you grant with a support request. It ends when the request is solved or closed, when it expires, or when you revoke it."
      actions={
        mayManage && (
          <Button variant="contained" startIcon={<AddIcon />} onClick={() => setRequesting(true)}>
            Request vendor support
          </Button>
        )
      }
      after={
        mayReadAudit && (
          <Typography variant="body2" sx={{ mt: 2 }}>
            Everything the vendor’s staff opened or changed is in the <Link href={`#/audit?filter=${encodeURIComponent(JSON.stringify({ actorType: 'support' }))}`}>audit log, filtered to vendor support</Link>.
          </Typography>
        )
      }
    >
      <RecordTable label="Vendor support access" empty="The vendor has no access to this workspace, and never had.">
        <DataTable.Col<Grant>
          label="Request"
          render={(g) => (
            <Link href={`#/tickets/${g.ticketId}/show`} title="Open the request">
              {g.ticketSubject}
            </Link>
          )}
        />
        <DataTable.Col<Grant>
          label="Access"
          render={(g) =>
            g.access === 'READ_ONLY' ? (
              'Read only'
            ) : (
              <Tooltip title={inWords(g.permissions)}>
                <span>{g.permissions.length} chosen permissions</span>
              </Tooltip>
            )
          }
        />
        <DataTable.Col<Grant> label="Who" render={(g) => (g.supportTeam ? 'Support team' : g.operators.map((o) => o.name).join(', '))} />
        <DataTable.Col<Grant> label="Granted by" source="grantedByName" />
        <DataTable.Col<Grant> label="Granted" sx={{ whiteSpace: 'nowrap' }} render={(g) => formatDateTime(g.createdAt)} />
        <DataTable.Col<Grant> label="Until" sx={{ whiteSpace: 'nowrap' }} render={(g) => formatDateTime(g.endedAt ?? g.expiresAt)} />
        <DataTable.Col<Grant> label="State" render={(g) => <Chip size="small" variant="outlined" label={stateOf(g)} color={g.active ? 'warning' : 'default'} />} />
        <DataTable.Col<Grant>
          label="Manage"
          align="right"
          render={(g) =>
            g.active &&
            mayManage && (
              <ConfirmAction
                name={`Revoke access for ${g.ticketSubject}`}
                label="Revoke"
                title="Revoke vendor support access?"
                content="The vendor’s staff are signed out at their next click. The request stays open; grant access again from a new request."
                confirm="Revoke"
                run={() => gql(REVOKE, { id: g.id })}
                done="Vendor support access revoked"
              />
            )
          }
        />
      </RecordTable>
      <RequestDialog
        open={requesting}
        onClose={() => setRequesting(false)}
        onDone={() => {
          setRequesting(false);
          refresh();
        }}
      />
    </RecordListPage>
  );
}
