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
  TextField,
  Tooltip,
  Typography,
} from '@mui/material';
import { useEffect, useState } from 'react';
import { DataTable, Link, ListBase, Title, useCanAccess, useNotify, useRefresh } from 'react-admin';
import { ConfirmAction, formatDateTime, gql, OneTimeSecretDialog, RecordTable, withReauth, type Api, type ConsoleResource } from '@bulwark/platform-console';

type Delivery = 'none' | 'pending' | 'delivered' | 'failed';
type SecurityAlert = Pick<Api.SecurityAlert, 'id' | 'ruleName' | 'kind' | 'subject' | 'title' | 'eventSeq' | 'eventId' | 'createdAt' | 'attempts' | 'lastError'> & {
  delivery: Delivery;
};
type AlertRule = Pick<Api.AlertRule, 'id' | 'name' | 'kind' | 'threshold' | 'windowMinutes' | 'webhookUrl' | 'email' | 'enabled' | 'createdAt'>;
type AlertKind = Pick<Api.AlertKindInfo, 'kind' | 'description'>;
/** The form: addresses as typed (one per line or comma-separated), and the owners-and-admins choice. */
type RuleInput = Omit<AlertRule, 'id' | 'createdAt' | 'email'> & { mailTo: string; mailAdmins: boolean };

const RULE_FIELDS = 'id name kind threshold windowMinutes webhookUrl email { addresses ownersAndAdmins } enabled createdAt';
const ALERTS = `{ securityAlerts(limit: 50) { id ruleName kind subject title eventSeq eventId createdAt delivery attempts lastError } }`;
const RULES = `{ alertRules { ${RULE_FIELDS} } }`;
const SETTINGS = `{ alertKinds { kind description } auditSettings { retentionDays } }`;
const CREATE = `mutation($input: AlertRuleInput!) { createAlertRule(input: $input) { rule { ${RULE_FIELDS} } webhookSecret } }`;
const UPDATE = `mutation($id: ID!, $input: AlertRuleInput!) { updateAlertRule(id: $id, input: $input) { rule { ${RULE_FIELDS} } webhookSecret } }`;
const DELETE = `mutation($id: ID!) { deleteAlertRule(id: $id) }`;
const RETENTION = `mutation($days: Int!) { setAuditRetention(days: $days) { retentionDays } }`;

/** Only this kind counts events in a window; the others fire on each matching event. */
const COUNTED_KIND = 'failed_logins';

/** The security-alerts resource: the 50 newest alerts. */
export const securityAlertsData: ConsoleResource['data'] = {
  async getList() {
    const alerts = (await gql<Pick<Api.Query, 'securityAlerts'>>(ALERTS)).securityAlerts;
    return { data: alerts as never, total: alerts.length };
  },
};

/** The alert-rules resource (shown on the Security alerts page): every rule of the tenant. */
export const alertRulesData: ConsoleResource['data'] = {
  async getList() {
    const rules = (await gql<Pick<Api.Query, 'alertRules'>>(RULES)).alertRules;
    return { data: rules as never, total: rules.length };
  },
};

const DELIVERY: Record<Delivery, { label: string; color: 'default' | 'info' | 'success' | 'error' }> = {
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


function AlertsCard() {
  return (
    <Card>
      <CardHeader title="Recent alerts" subheader="Raised by the rules below, newest first" />
      <CardContent sx={{ pt: 0 }}>
        <ListBase resource="security-alerts" perPage={50} disableSyncWithLocation>
          <RecordTable label="Recent alerts" empty="No alerts yet." padded={false}>
            <DataTable.Col<SecurityAlert>
              label="Alert"
              render={(a) => (
                <>
                  <Typography variant="body2">{a.title}</Typography>
                  <Typography variant="caption" color="text.secondary">
                    {a.ruleName} · {a.subject}
                  </Typography>
                </>
              )}
            />
            <DataTable.Col<SecurityAlert> label="Time" render={(a) => formatDateTime(a.createdAt)} />
            <DataTable.Col<SecurityAlert> label="Event" render={(a) => (a.eventId ? <Link to={`/audit/${a.eventId}/show`}>#{a.eventSeq}</Link> : `#${a.eventSeq}`)} />
            <DataTable.Col<SecurityAlert> label="Delivery" render={(a) => <DeliveryChip alert={a} />} />
          </RecordTable>
        </ListBase>
      </CardContent>
    </Card>
  );
}

const EMPTY_RULE: RuleInput = { name: '', kind: COUNTED_KIND, threshold: 5, windowMinutes: 15, webhookUrl: '', mailTo: '', mailAdmins: false, enabled: true };

const formOf = (r: AlertRule): RuleInput & { id: string } => ({
  ...r,
  webhookUrl: r.webhookUrl ?? '',
  mailTo: r.email?.addresses.join('\n') ?? '',
  mailAdmins: r.email?.ownersAndAdmins ?? false,
});

/** Who a rule mails, in words, for the table. */
const mailedTo = (r: AlertRule) => (r.email ? [r.email.ownersAndAdmins ? 'All owners and admins' : '', ...r.email.addresses].filter(Boolean).join(', ') : '—');

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
          <FormControlLabel
            control={<Switch checked={form.mailAdmins} onChange={(e) => setForm({ ...form, mailAdmins: e.target.checked })} />}
            label="Email every owner and admin"
          />
          <TextField
            label="Email these addresses (optional)"
            value={form.mailTo}
            onChange={(e) => setForm({ ...form, mailTo: e.target.value })}
            placeholder="security@example.com"
            helperText="One address per line or separated by commas, up to 20. Each alert is mailed to each person, in words, with a link here."
            multiline
            minRows={2}
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

const addresses = (text: string) =>
  text
    .split(/[\s,;]+/)
    .map((a) => a.trim())
    .filter(Boolean);

function RulesCard({ kinds, canManage }: { kinds: AlertKind[]; canManage: boolean }) {
  const notify = useNotify();
  const refresh = useRefresh();
  const [editing, setEditing] = useState<(RuleInput & { id?: string }) | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const kindName = (k: string) => kinds.find((x) => x.kind === k)?.description ?? k;

  const save = async (form: RuleInput, id?: string) => {
    const input = {
      name: form.name.trim(),
      kind: form.kind,
      threshold: form.threshold,
      windowMinutes: form.windowMinutes,
      webhookUrl: form.webhookUrl?.trim() || null,
      // No one chosen: the rule mails nobody (the server refuses an empty choice it is given).
      email: addresses(form.mailTo).length || form.mailAdmins ? { addresses: addresses(form.mailTo), ownersAndAdmins: form.mailAdmins } : null,
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
      refresh();
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
    }
  };

  return (
    <Card>
      <CardHeader
        title="Alert rules"
        subheader="What raises an alert, and where it is sent: a webhook, email, or both"
        action={
          canManage && (
            <Button startIcon={<AddIcon />} onClick={() => setEditing({ ...EMPTY_RULE })} sx={{ mt: 1 }}>
              Add rule
            </Button>
          )
        }
      />
      <CardContent sx={{ pt: 0 }}>
        <ListBase resource="alert-rules" perPage={1000} disableSyncWithLocation>
          <RecordTable label="Alert rules" empty="No rules: nothing raises alerts." padded={false}>
            <DataTable.Col<AlertRule> label="Name" source="name" />
            <DataTable.Col<AlertRule>
              label="When"
              render={(r) => (
                <>
                  <Typography variant="body2">{kindName(r.kind)}</Typography>
                  {r.kind === COUNTED_KIND && (
                    <Typography variant="caption" color="text.secondary">
                      {r.threshold} {r.threshold === 1 ? 'failure' : 'failures'} within {r.windowMinutes} min
                    </Typography>
                  )}
                </>
              )}
            />
            <DataTable.Col<AlertRule> label="Webhook" sx={{ wordBreak: 'break-all', maxWidth: 260 }} render={(r) => r.webhookUrl ?? '—'} />
            <DataTable.Col<AlertRule> label="Email" sx={{ wordBreak: 'break-word', maxWidth: 260 }} render={mailedTo} />
            <DataTable.Col<AlertRule>
              label="State"
              render={(r) => <Chip size="small" label={r.enabled ? 'Enabled' : 'Disabled'} color={r.enabled ? 'success' : 'default'} variant="outlined" />}
            />
            {canManage && (
              <DataTable.Col<AlertRule>
                label="Manage"
                align="right"
                sx={{ whiteSpace: 'nowrap' }}
                render={(r) => (
                  <>
                    <Tooltip title={`Edit ${r.name}`}>
                      <IconButton size="small" aria-label={`Edit ${r.name}`} onClick={() => setEditing(formOf(r))}>
                        <EditIcon fontSize="small" />
                      </IconButton>
                    </Tooltip>
                    <ConfirmAction
                      name={`Delete ${r.name}`}
                      icon={<DeleteIcon fontSize="small" />}
                      title={`Delete the rule ${r.name}?`}
                      content="Alerts it raised stay in the list."
                      confirm="Delete"
                      run={() => gql(DELETE, { id: r.id })}
                      done={`Rule ${r.name} deleted`}
                    />
                  </>
                )}
              />
            )}
          </RecordTable>
        </ListBase>
      </CardContent>
      <RuleDialog rule={editing} kinds={kinds} onClose={() => setEditing(null)} onSave={save} />
      <SecretDialog secret={secret} onClose={() => setSecret(null)} />
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

/**
 * Security alerts: what fired and whether it reached its webhook (the security-alerts resource);
 * the rules (alert-rules); how long the log is kept.
 */
export function SecurityAlertsPage() {
  const notify = useNotify();
  const canManage = !!useCanAccess({ resource: 'security-alerts', action: 'manage' }).canAccess;
  const [settings, setSettings] = useState<{ alertKinds: AlertKind[]; auditSettings: { retentionDays: number } } | null>(null);
  useEffect(() => {
    gql<{ alertKinds: AlertKind[]; auditSettings: { retentionDays: number } }>(SETTINGS)
      .then(setSettings)
      .catch((e) => notify((e as Error).message, { type: 'error' }));
  }, [notify]);

  if (!settings) return <Typography sx={{ p: 2 }}>Loading…</Typography>;
  return (
    <Box sx={{ p: 2, display: 'grid', gap: 2, maxWidth: 1100 }}>
      <Title title="Security alerts" />
      <AlertsCard />
      <RulesCard kinds={settings.alertKinds} canManage={canManage} />
      <RetentionCard
        days={settings.auditSettings.retentionDays}
        canManage={canManage}
        onSaved={(retentionDays) => setSettings((d) => (d ? { ...d, auditSettings: { retentionDays } } : d))}
      />
    </Box>
  );
}
