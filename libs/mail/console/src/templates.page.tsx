import { Alert, Box, Button, Card, CardContent, CardHeader, Chip, Stack, Tab, Tabs, TextField, Typography } from '@mui/material';
import { useCallback, useEffect, useState } from 'react';
import { Title, useNotify } from 'react-admin';
import { gql, GraphQLRequestError, type Api } from '@bulwark/platform-console';

// The schema's own types (generated), so the page follows the server.
type Kind = Api.MailTemplateKind;
type Template = Omit<Api.MailTemplate, 'updatedAt'>;
type Preview = Api.MailPreview;
type SigningKey = Api.MailSigningKey;
const FIELDS = 'kind title description variables subject text html customized';

/**
 * The wording of the mail the workspace sends about tickets, with a preview rendered by the server
 * (the same code that sends), and the DKIM record receivers check our signature against.
 */
export function MailTemplatesPage() {
  const notify = useNotify();
  const [templates, setTemplates] = useState<Template[] | null>(null);
  const [key, setKey] = useState<SigningKey | null>(null);
  const [tab, setTab] = useState<Kind>('acknowledgement');

  const load = useCallback(() => {
    gql<{ mailTemplates: Template[]; mailSigningKey: SigningKey | null }>(`{ mailTemplates { ${FIELDS} } mailSigningKey { domain selector name value algorithm } }`)
      .then((d) => {
        setTemplates(d.mailTemplates);
        setKey(d.mailSigningKey);
      })
      .catch((e) => notify((e as Error).message, { type: 'error' }));
  }, [notify]);
  useEffect(load, [load]);

  if (!templates) return <Typography sx={{ p: 2 }}>Loading…</Typography>;
  const current = templates.find((t) => t.kind === tab) as Template;
  return (
    <Box sx={{ p: 2, display: 'grid', gap: 2, maxWidth: 1100 }}>
      <Title title="Mail templates" />
      <Card>
        <CardHeader title="Mail templates" subheader="What requesters, the people they copy, and agents receive by mail. Values in {{double braces}} are filled in for each message." />
        <CardContent>
          <Tabs value={tab} onChange={(_e, v: Kind) => setTab(v)} aria-label="Kinds of mail" variant="scrollable" scrollButtons="auto">
            {templates.map((t) => (
              <Tab key={t.kind} value={t.kind} label={t.title} />
            ))}
          </Tabs>
          <TemplateEditor key={tab} template={current} onSaved={(t) => setTemplates(templates.map((x) => (x.kind === t.kind ? t : x)))} />
        </CardContent>
      </Card>
      <Card>
        <CardHeader title="Signing key (DKIM)" subheader="Receivers check this signature to tell your workspace’s mail from a forgery" />
        <CardContent>
          {key ? (
            <Stack spacing={1}>
              <Typography variant="body2">
                Outbound mail is signed for <strong>{key.domain}</strong>. The domain’s DNS must publish this TXT record (your operator or DNS administrator does this once):
              </Typography>
              <TextField label="Record name" value={key.name} slotProps={{ input: { readOnly: true } }} fullWidth size="small" />
              <TextField label="Record value" value={key.value} slotProps={{ input: { readOnly: true } }} fullWidth multiline size="small" />
            </Stack>
          ) : (
            <Alert severity="warning">No signing key is configured on this server, so mail leaves unsigned and some receivers may file it as spam. Ask your Bulwark operator to set one up.</Alert>
          )}
        </CardContent>
      </Card>
    </Box>
  );
}

function TemplateEditor({ template, onSaved }: { template: Template; onSaved: (t: Template) => void }) {
  const notify = useNotify();
  const [draft, setDraft] = useState({ subject: template.subject, text: template.text, html: template.html ?? '' });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [preview, setPreview] = useState<Preview | null>(null);
  const input = { kind: template.kind, ...draft, html: draft.html.trim() ? draft.html : null };

  const failed = (e: unknown) => {
    if (e instanceof GraphQLRequestError && e.fields) setErrors(e.fieldMessages);
    notify(e instanceof GraphQLRequestError ? e.summary : (e as Error).message, { type: 'error' });
  };
  const showPreview = async () => {
    try {
      const d = await gql<{ previewMailTemplate: Preview }>(`query($input: MailTemplateInput!) { previewMailTemplate(input: $input) { subject text html } }`, { input });
      setErrors({});
      setPreview(d.previewMailTemplate);
    } catch (e) {
      failed(e);
    }
  };
  const save = async () => {
    try {
      const d = await gql<{ updateMailTemplate: Template }>(`mutation($input: MailTemplateInput!) { updateMailTemplate(input: $input) { ${FIELDS} } }`, { input });
      setErrors({});
      onSaved(d.updateMailTemplate);
      notify('Template saved', { type: 'success' });
    } catch (e) {
      failed(e);
    }
  };
  const reset = async () => {
    try {
      const d = await gql<{ resetMailTemplate: Template }>(`mutation($kind: MailTemplateKind!) { resetMailTemplate(kind: $kind) { ${FIELDS} } }`, { kind: template.kind });
      const t = d.resetMailTemplate;
      setDraft({ subject: t.subject, text: t.text, html: t.html ?? '' });
      setErrors({});
      onSaved(t);
      notify('Back to the default wording', { type: 'success' });
    } catch (e) {
      failed(e);
    }
  };

  return (
    <Box sx={{ display: 'grid', gridTemplateColumns: { md: '1fr 1fr' }, gap: 2, pt: 2 }}>
      <Stack spacing={2}>
        <Typography variant="body2" color="text.secondary">
          {template.description} {template.customized ? '' : 'This is the default wording.'}
        </Typography>
        <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 0.5 }} aria-label="Values you can place">
          {template.variables.map((v) => (
            <Chip key={v} size="small" label={`{{${v}}}`} />
          ))}
        </Box>
        <TextField label="Subject" value={draft.subject} onChange={(e) => setDraft({ ...draft, subject: e.target.value })} error={!!errors.subject} helperText={errors.subject} fullWidth />
        <TextField label="Text" value={draft.text} onChange={(e) => setDraft({ ...draft, text: e.target.value })} error={!!errors.text} helperText={errors.text ?? 'Every message has this part'} multiline minRows={8} fullWidth />
        <TextField
          label="HTML (optional)"
          value={draft.html}
          onChange={(e) => setDraft({ ...draft, html: e.target.value })}
          error={!!errors.html}
          helperText={errors.html ?? 'Leave empty to send the text as simple HTML. Scripts, styles and images are removed.'}
          multiline
          minRows={4}
          fullWidth
        />
        <Stack direction="row" spacing={1}>
          <Button variant="outlined" onClick={showPreview}>
            Preview
          </Button>
          <Button variant="contained" onClick={save}>
            Save template
          </Button>
          {template.customized && <Button onClick={reset}>Back to default</Button>}
        </Stack>
      </Stack>
      <Box aria-label="Preview">
        {preview ? (
          <Stack spacing={1}>
            <Typography variant="subtitle2">Subject: {preview.subject}</Typography>
            {/* The server already made it safe; the empty sandbox also keeps it from running anything here. */}
            <iframe title="HTML preview" sandbox="" srcDoc={preview.html} style={{ width: '100%', minHeight: 260, border: '1px solid #ddd', borderRadius: 4, background: '#fff' }} />
            <Typography variant="caption" color="text.secondary">
              Plain-text part
            </Typography>
            <Box component="pre" sx={{ whiteSpace: 'pre-wrap', fontFamily: 'monospace', fontSize: 13, m: 0, p: 1, bgcolor: 'grey.100', borderRadius: 1 }}>
              {preview.text}
            </Box>
          </Stack>
        ) : (
          <Typography variant="body2" color="text.secondary" sx={{ pt: 1 }}>
            Preview shows this mail with sample values, exactly as it will be sent.
          </Typography>
        )}
      </Box>
    </Box>
  );
}
