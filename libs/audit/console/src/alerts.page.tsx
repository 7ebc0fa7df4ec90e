import AddIcon from '@mui/icons-material/Add';
import DeleteIcon from '@mui/icons-material/Delete';
import EditIcon from '@mui/icons-material/Edit';
import {
  Box,
  Button,
  Card,
  CardContent,
  CardHeader,
  Chip,
  Dialog,
  DialogActions,
  DialogContent,
  DialogTitle,
  FormControlLabel,
  IconButton,
  MenuItem,
  Stack,
  Switch,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
  TextField,
  Tooltip,
  Typography,
} from '@mui/material';
import { useCallback, useEffect, useState } from 'react';
import { Confirm, Link, Title, useCanAccess, useNotify } from 'react-admin';
import { gql, OneTimeSecretDialog, withReauth } from '@bulwark/platform-console';

interface SecurityAlert {
  id: string;
  ruleName: string;
  kind: string;
  subject: string;
  title: string;
  eventSeq: number;
  eventId: string | null;
  createdAt: string;
  delivery: 'none' | 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastError: string | null;
}
interface AlertRule {
  id: string;
  name: string;
  kind: string;
  threshold: number;
  windowMinutes: number;
  webhookUrl: string | null;
  enabled: boolean;
  createdAt: string;
}
interface AlertKind {
  kind: string;
  description: string;
}
type RuleInput = Omit<AlertRule, 'id' | 'createdAt'>;

const RULE_FIELDS = 'id name kind threshold windowMinutes webhookUrl enabled createdAt';
const LOAD = `{
  securityAlerts(limit: 50) { id ruleName kind subject title eventSeq eventId createdAt delivery attempts lastError }
  alertRules { ${RULE_FIELDS} }
  alertKinds { kind description }
  auditSettings { retentionDays }
}`;
const CREATE = `mutation($input: AlertRuleInput!) { createAlertRule(input: $input) { rule { ${RULE_FIELDS} } webhookSecret } }`;
const UPDATE = `mutation($id: ID!, $input: AlertRuleInput!) { updateAlertRule(id: $id, input: $input) { rule { ${RULE_FIELDS} } webhookSecret } }`;
const DELETE = `mutation($id: ID!) { deleteAlertRule(id: $id) }`;
const RETENTION = `mutation($days: Int!) { setAuditRetention(days: $days) { retentionDays } }`;

/** Only this kind counts events in a window; the others fire on each matching event. */
const COUNTED_KIND = 'failed_logins';

const DELIVERY: Record<SecurityAlert['delivery'], { label: string; color: 'default' | 'info' | 'success' | 'error' }> = {
  none: { label: 'No webhook', color: 'default' },
  pending: { label: 'Pending', color: 'info' },
  delivered: { label: 'Delivered', color: 'success' },
  failed: { label: 'Failed', color: 'error' },
};

function DeliveryChip({ alert }: { alert: SecurityAlert }) {
  const d = DELIVERY[alert.delivery] ?? { label: alert.delivery, color: 'default' as const };
  const chip = <Chip size="small" label={d.label} color={d.color} variant={alert.delivery === 'delivered' ? 'filled' : 'outlined'} />;
  const hint = [alert.attempts ? `${alert.attempts} attempt${alert.attempts === 1 ? '' : 's'}` : '', alert.lastError ?? ''].filter(Boolean).join(': ');
  return hint ? (
    <Tooltip title={hint}>
      <span>{chip}</span>
    </Tooltip>
  ) : (
    chip
  );
}

const when = (iso: string) => new Date(iso).toLocaleString();

function AlertsCard({ alerts }: { alerts: SecurityAlert[] }) {
  return (
    <Card>
      <CardHeader title="Recent alerts" subheader="Raised by the rules below, newest first" />
      <CardContent sx={{ pt: 0 }}>
        {alerts.length === 0 ? (
          <Typography variant="body2" color="text.secondary">
            No alerts yet.
          </Typography>
        ) : (
          <Table size="small" aria-label="Recent alerts">
            <TableHead>
              <TableRow>
                <TableCell>Alert</TableCell>
                <TableCell>Time</TableCell>
                <TableCell>Event</TableCell>
                <TableCell>Delivery</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {alerts.map((a) => (
                <TableRow key={a.id}>
                  <TableCell>
                    <Typography variant="body2">{a.title}</Typography>
                    <Typography variant="caption" color="text.secondary">
                      {a.ruleName} · {a.subject}
                    </Typography>
                  </TableCell>
                  <TableCell>{when(a.createdAt)}</TableCell>
                  <TableCell>{a.eventId ? <Link to={`/audit/${a.eventId}/show`}>#{a.eventSeq}</Link> : `#${a.eventSeq}`}</TableCell>
                  <TableCell>
                    <DeliveryChip alert={a} />
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </CardContent>
    </Card>
  );
}

const EMPTY_RULE: RuleInput = { name: '', kind: COUNTED_KIND, threshold: 5, windowMinutes: 15, webhookUrl: '', enabled: true };

function RuleDialog({
  rule,
  kinds,
  onClose,
  onSave,
}: {
  rule: (RuleInput & { id?: string }) | null;
  kinds: AlertKind[];
  onClose: () => void;
  onSave: (input: RuleInput, id?: string) => Promise<void>;
}) {
  const [form, setForm] = useState<RuleInput>(EMPTY_RULE);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (rule) setForm({ ...EMPTY_RULE, ...rule, webhookUrl: rule.webhookUrl ?? '' });
  }, [rule]);
  const counted = form.kind === COUNTED_KIND;
  const save = async () => {
    setBusy(true);
    try {
      await onSave(form, rule?.id);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open={!!rule} onClose={onClose} aria-labelledby="rule-title" maxWidth="sm" fullWidth>
      <DialogTitle id="rule-title">{rule?.id ? 'Edit alert rule' : 'New alert rule'}</DialogTitle>
      <DialogContent>
        <Stack spacing={2} sx={{ mt: 1 }}>
          <TextField label="Name" value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} inputProps={{ maxLength: 120 }} required />
          <TextField
            select
            label="When"
            value={form.kind}
            onChange={(e) => setForm({ ...form, kind: e.target.value })}
            helperText={kinds.find((k) => k.kind === form.kind)?.description ?? ' '}
          >
            {kinds.map((k) => (
              <MenuItem key={k.kind} value={k.kind}>
                {k.description}
              </MenuItem>
            ))}
          </TextField>
          {counted && (
            <Stack direction="row" spacing={2}>
              <TextField
                type="number"
                label="Failed sign-ins (N)"
                value={form.threshold}
                onChange={(e) => setForm({ ...form, threshold: Number(e.target.value) })}
                inputProps={{ min: 1, max: 1000 }}
                fullWidth
              />
              <TextField
                type="number"
                label="Within minutes (M)"
                value={form.windowMinutes}
                onChange={(e) => setForm({ ...form, windowMinutes: Number(e.target.value) })}
                inputProps={{ min: 1, max: 1440 }}
                fullWidth
              />
            </Stack>
          )}
          <TextField
            label="Webhook URL (optional)"
            value={form.webhookUrl ?? ''}
            onChange={(e) => setForm({ ...form, webhookUrl: e.target.value })}
            placeholder="https://hooks.example.com/bulwark"
            helperText="Each alert is POSTed here (https), signed with a secret shown once when the URL is set."
            inputProps={{ maxLength: 2000 }}
          />
          <FormControlLabel control={<Switch checked={form.enabled} onChange={(e) => setForm({ ...form, enabled: e.target.checked })} />} label="Enabled" />
        </Stack>
      </DialogContent>
      <DialogActions>
        <Button onClick={onClose}>Cancel</Button>
        <Button variant="contained" onClick={save} disabled={busy || !form.name.trim()}>
          Save
        </Button>
      </DialogActions>
    </Dialog>
  );
}

/** The signing secret exists in clear only in this answer; the server keeps it sealed. */
function SecretDialog({ secret, onClose }: { secret: string | null; onClose: () => void }) {
  return (
    <OneTimeSecretDialog
      value={secret}
      title="Webhook signing secret"
      warning="Copy this secret now and give it to the webhook receiver: it is shown only this once. Each delivery is signed with it."
      copyLabel="Copy the secret"
      testId="webhook-secret"
      onClose={onClose}
    />
  );
}

function RulesCard({ rules, kinds, canManage, reload }: { rules: AlertRule[]; kinds: AlertKind[]; canManage: boolean; reload: () => Promise<void> }) {
  const notify = useNotify();
  const [editing, setEditing] = useState<(RuleInput & { id?: string }) | null>(null);
  const [deleting, setDeleting] = useState<AlertRule | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const kindName = (k: string) => kinds.find((x) => x.kind === k)?.description ?? k;

  const save = async (form: RuleInput, id?: string) => {
    const input = {
      name: form.name.trim(),
      kind: form.kind,
      threshold: form.threshold,
      windowMinutes: form.windowMinutes,
      webhookUrl: form.webhookUrl?.trim() || null,
      enabled: form.enabled,
    };
    try {
      const d = await withReauth(() =>
        id
          ? gql<{ updateAlertRule: { webhookSecret: string | null } }>(UPDATE, { id, input }).then((r) => r.updateAlertRule)
          : gql<{ createAlertRule: { webhookSecret: string | null } }>(CREATE, { input }).then((r) => r.createAlertRule),
      );
      setEditing(null);
      notify(id ? `Rule ${input.name} saved` : `Rule ${input.name} created`, { type: 'success' });
      if (d.webhookSecret) setSecret(d.webhookSecret);
      await reload();
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
    }
  };
  const remove = async () => {
    const rule = deleting;
    setDeleting(null);
    if (!rule) return;
    try {
      await withReauth(() => gql(DELETE, { id: rule.id }));
      notify(`Rule ${rule.name} deleted`, { type: 'success' });
      await reload();
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
    }
  };

  return (
    <Card>
      <CardHeader
        title="Alert rules"
        subheader="What raises an alert, and where it is sent"
        action={
          canManage && (
            <Button startIcon={<AddIcon />} onClick={() => setEditing({ ...EMPTY_RULE })} sx={{ mt: 1 }}>
              Add rule
            </Button>
          )
        }
      />
      <CardContent sx={{ pt: 0 }}>
        {rules.length === 0 ? (
          <Typography variant="body2" color="text.secondary">
            No rules: nothing raises alerts.
          </Typography>
        ) : (
          <Table size="small" aria-label="Alert rules">
            <TableHead>
              <TableRow>
                <TableCell>Name</TableCell>
                <TableCell>When</TableCell>
                <TableCell>Webhook</TableCell>
                <TableCell>State</TableCell>
                {canManage && <TableCell align="right">Manage</TableCell>}
              </TableRow>
            </TableHead>
            <TableBody>
              {rules.map((r) => (
                <TableRow key={r.id}>
                  <TableCell>{r.name}</TableCell>
                  <TableCell>
                    <Typography variant="body2">{kindName(r.kind)}</Typography>
                    {r.kind === COUNTED_KIND && (
                      <Typography variant="caption" color="text.secondary">
                        {r.threshold} {r.threshold === 1 ? 'failure' : 'failures'} within {r.windowMinutes} min
                      </Typography>
                    )}
                  </TableCell>
                  <TableCell sx={{ wordBreak: 'break-all', maxWidth: 260 }}>{r.webhookUrl ?? '—'}</TableCell>
                  <TableCell>
                    <Chip size="small" label={r.enabled ? 'Enabled' : 'Disabled'} color={r.enabled ? 'success' : 'default'} variant="outlined" />
                  </TableCell>
                  {canManage && (
                    <TableCell align="right" sx={{ whiteSpace: 'nowrap' }}>
                      <Tooltip title={`Edit ${r.name}`}>
                        <IconButton size="small" aria-label={`Edit ${r.name}`} onClick={() => setEditing({ ...r })}>
                          <EditIcon fontSize="small" />
                        </IconButton>
                      </Tooltip>
                      <Tooltip title={`Delete ${r.name}`}>
                        <IconButton size="small" aria-label={`Delete ${r.name}`} onClick={() => setDeleting(r)}>
                          <DeleteIcon fontSize="small" />
                        </IconButton>
                      </Tooltip>
                    </TableCell>
                  )}
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
      </CardContent>
      <RuleDialog rule={editing} kinds={kinds} onClose={() => setEditing(null)} onSave={save} />
      <SecretDialog secret={secret} onClose={() => setSecret(null)} />
      <Confirm
        isOpen={!!deleting}
        title={`Delete the rule ${deleting?.name ?? ''}?`}
        content="Alerts it raised stay in the list."
        confirm="Delete"
        onConfirm={remove}
        onClose={() => setDeleting(null)}
      />
    </Card>
  );
}

function RetentionCard({ days, canManage, onSaved }: { days: number; canManage: boolean; onSaved: (days: number) => void }) {
  const notify = useNotify();
  const [value, setValue] = useState(String(days));
  useEffect(() => setValue(String(days)), [days]);
  const save = async () => {
    try {
      const d = await withReauth(() => gql<{ setAuditRetention: { retentionDays: number } }>(RETENTION, { days: Number(value) }));
      onSaved(d.setAuditRetention.retentionDays);
      notify(`Events are now kept for ${d.setAuditRetention.retentionDays} days`, { type: 'success' });
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
    }
  };
  return (
    <Card>
      <CardHeader title="Retention" subheader="Older events are deleted; the chain keeps a checkpoint so it still verifies" />
      <CardContent sx={{ pt: 0 }}>
        <Stack direction="row" spacing={2} alignItems="center">
          <TextField
            type="number"
            label="Keep events for (days)"
            value={value}
            onChange={(e) => setValue(e.target.value)}
            inputProps={{ min: 90, max: 3650 }}
            disabled={!canManage}
            helperText="From 90 to 3650 days"
            sx={{ width: 220 }}
          />
          {canManage && (
            <Button variant="contained" onClick={save} disabled={!value || Number(value) === days}>
              Save
            </Button>
          )}
        </Stack>
        {!canManage && (
          <Typography variant="caption" color="text.secondary">
            Changing retention needs the “manage audit” permission.
          </Typography>
        )}
      </CardContent>
    </Card>
  );
}

/** Security alerts: what fired and whether it reached its webhook; the rules; how long the log is kept. */
export function SecurityAlertsPage() {
  const notify = useNotify();
  const canManage = !!useCanAccess({ resource: 'security-alerts', action: 'manage' }).canAccess;
  const [data, setData] = useState<{ securityAlerts: SecurityAlert[]; alertRules: AlertRule[]; alertKinds: AlertKind[]; auditSettings: { retentionDays: number } } | null>(null);
  const load = useCallback(async () => {
    setData(await gql(LOAD));
  }, []);
  useEffect(() => {
    load().catch((e) => notify((e as Error).message, { type: 'error' }));
  }, [load, notify]);
  const reload = useCallback(() => load().catch((e) => notify((e as Error).message, { type: 'error' })), [load, notify]);

  if (!data) return <Typography sx={{ p: 2 }}>Loading…</Typography>;
  return (
    <Box sx={{ p: 2, display: 'grid', gap: 2, maxWidth: 1100 }}>
      <Title title="Security alerts" />
      <AlertsCard alerts={data.securityAlerts} />
      <RulesCard rules={data.alertRules} kinds={data.alertKinds} canManage={canManage} reload={reload} />
      <RetentionCard
        days={data.auditSettings.retentionDays}
        canManage={canManage}
        onSaved={(retentionDays) => setData((d) => (d ? { ...d, auditSettings: { retentionDays } } : d))}
      />
    </Box>
  );
}
