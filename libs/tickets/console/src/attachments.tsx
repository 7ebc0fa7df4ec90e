import AttachFileIcon from '@mui/icons-material/AttachFile';
import InsertDriveFileIcon from '@mui/icons-material/InsertDriveFileOutlined';
import { Alert, Box, Button, Card, CardContent, CardHeader, Checkbox, Chip, FormControlLabel, FormGroup, FormHelperText, Link, Stack, TextField, Typography } from '@mui/material';
import { useCallback, useEffect, useRef, useState } from 'react';
import { Title, useNotify } from 'react-admin';
import { gql, useFormSave, type Api } from '@bulwark/platform-console';

/** An upload the server took: its id goes in the message's `attachmentIds`. */
export interface UploadedFile {
  id: string;
  filename: string;
  contentType: string;
  size: number;
}

type Limits = Pick<Api.AttachmentSettings, 'maxBytes' | 'allowedTypes' | 'defaultMaxBytes' | 'defaultAllowedTypes'> & { kinds: Pick<Api.AttachmentKind, 'contentType' | 'label' | 'allowed'>[] };
const LIMITS = `{ attachmentSettings { maxBytes allowedTypes defaultMaxBytes defaultAllowedTypes kinds { contentType label allowed } } }`;
const SAVE = `mutation($i: AttachmentSettingsInput!) { updateAttachmentSettings(input: $i) { maxBytes allowedTypes defaultMaxBytes defaultAllowedTypes kinds { contentType label allowed } } }`;

/** Sizes as people read them: 980 bytes, 12 KB, 3.4 MB. */
export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${+(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Sends one file to the upload route; rejects with the server's words (too large, a kind not accepted). */
export async function uploadAttachment(file: File): Promise<UploadedFile> {
  const res = await fetch('/api/tickets/attachments', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/octet-stream', 'x-filename': encodeURIComponent(file.name) },
    body: file,
  });
  const body = (await res.json().catch(() => null)) as (UploadedFile & { errors?: { message: string }[] }) | null;
  if (res.status !== 201 || !body) throw new Error(`${file.name}: ${body?.errors?.[0]?.message ?? `the server answered ${res.status}`}`);
  return { id: body.id, filename: body.filename, contentType: body.contentType, size: body.size };
}

function useLimits(): Limits | null {
  const [limits, setLimits] = useState<Limits | null>(null);
  useEffect(() => {
    gql<{ attachmentSettings: Limits }>(LIMITS)
      .then((d) => setLimits(d.attachmentSettings))
      .catch(() => setLimits(null));
  }, []);
  return limits;
}

/**
 * Attach files to a message being written (the ticket form, a reply box, the portal's request
 * form): each file is uploaded as soon as it is chosen, and `onChange` gets the files taken so
 * far, whose ids the form sends as `attachmentIds`. Refusals (too large, a kind not accepted) are
 * said per file; the other files stay.
 */
export function AttachmentUpload({ value, onChange, disabled, label = 'Attach files' }: { value: UploadedFile[]; onChange: (files: UploadedFile[]) => void; disabled?: boolean; label?: string }) {
  const input = useRef<HTMLInputElement>(null);
  const limits = useLimits();
  const [busy, setBusy] = useState(0);
  const [problems, setProblems] = useState<string[]>([]);
  const current = useRef(value);
  current.current = value;

  const chosen = async (files: FileList | null) => {
    if (!files?.length) return;
    const list = [...files];
    setProblems([]);
    setBusy((n) => n + list.length);
    const taken: UploadedFile[] = [];
    const refused: string[] = [];
    await Promise.all(
      list.map(async (f) => {
        try {
          taken.push(await uploadAttachment(f));
        } catch (e) {
          refused.push((e as Error).message);
        } finally {
          setBusy((n) => n - 1);
        }
      }),
    );
    if (taken.length) onChange([...current.current, ...taken]);
    setProblems(refused);
    if (input.current) input.current.value = '';
  };

  const kinds = limits?.kinds.filter((k) => k.allowed).map((k) => k.label);
  return (
    <Stack spacing={1} aria-label="Attachments">
      <Stack direction="row" spacing={1} alignItems="center" flexWrap="wrap" useFlexGap>
        <Button size="small" variant="outlined" startIcon={<AttachFileIcon />} onClick={() => input.current?.click()} disabled={disabled || busy > 0}>
          {busy > 0 ? `Uploading ${busy} file${busy === 1 ? '' : 's'}…` : label}
        </Button>
        <input ref={input} type="file" multiple hidden aria-label={label} onChange={(e) => void chosen(e.target.files)} />
        {value.map((f) => (
          <Chip
            key={f.id}
            icon={<InsertDriveFileIcon />}
            label={`${f.filename} (${fileSize(f.size)})`}
            onDelete={disabled ? undefined : () => onChange(value.filter((x) => x.id !== f.id))}
            aria-label={`Attached: ${f.filename}`}
          />
        ))}
      </Stack>
      {limits && (
        <FormHelperText sx={{ mt: 0 }}>
          Up to {fileSize(limits.maxBytes)} each{kinds?.length ? `: ${kinds.join(', ')}` : ''}.
        </FormHelperText>
      )}
      {problems.map((p) => (
        <Alert key={p} severity="warning" onClose={() => setProblems((all) => all.filter((x) => x !== p))}>
          {p}
        </Alert>
      ))}
    </Stack>
  );
}

/**
 * AttachmentUpload for a form that keeps only ids (the portal's new request): the files it shows
 * are held here, the ids go out through `onChange`.
 */
export function AttachmentIdsInput({ value, onChange, disabled }: { value: string[]; onChange(ids: string[]): void; disabled?: boolean }) {
  const [files, setFiles] = useState<UploadedFile[]>([]);
  const shown = files.filter((f) => value.includes(f.id));
  return (
    <AttachmentUpload
      value={shown}
      disabled={disabled}
      onChange={(next) => {
        setFiles(next);
        onChange(next.map((f) => f.id));
      }}
    />
  );
}

const INLINE = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

/**
 * The files of a message: images shown small (click for the full one), every file a download
 * link. Links work for a few minutes after the page loaded (the API hands out short-lived ones);
 * reloading the conversation gives fresh ones.
 */
export function AttachmentList({ attachments }: { attachments: Pick<Api.Attachment, 'id' | 'filename' | 'contentType' | 'size' | 'url'>[] }) {
  if (!attachments.length) return null;
  return (
    <Stack direction="row" spacing={1} flexWrap="wrap" useFlexGap aria-label="Attached files" sx={{ mt: 1 }}>
      {attachments.map((a) =>
        !a.url ? (
          <Chip key={a.id} icon={<InsertDriveFileIcon />} label={`${a.filename} (${fileSize(a.size)})`} />
        ) : INLINE.has(a.contentType) ? (
          <Link key={a.id} href={a.url} target="_blank" rel="noopener noreferrer" title={`${a.filename} (${fileSize(a.size)})`} underline="none">
            <Box component="img" src={a.url} alt={a.filename} sx={{ height: 96, maxWidth: 160, objectFit: 'cover', borderRadius: 1, border: 1, borderColor: 'divider', display: 'block' }} />
          </Link>
        ) : (
          <Chip key={a.id} component="a" href={a.url} clickable icon={<InsertDriveFileIcon />} label={`${a.filename} (${fileSize(a.size)})`} aria-label={`Download ${a.filename}`} />
        ),
      )}
    </Stack>
  );
}

/** A workspace admin's limits for attachments: the largest file and the kinds accepted. */
export function AttachmentSettingsPage() {
  const notify = useNotify();
  const { busy, errors, save } = useFormSave();
  const [limits, setLimits] = useState<Limits | null>(null);
  const [megabytes, setMegabytes] = useState('');
  const [allowed, setAllowed] = useState<string[]>([]);

  const show = useCallback((l: Limits) => {
    setLimits(l);
    setMegabytes(String(+(l.maxBytes / 1024 / 1024).toFixed(2)));
    setAllowed(l.allowedTypes);
  }, []);
  useEffect(() => {
    gql<{ attachmentSettings: Limits }>(LIMITS)
      .then((d) => show(d.attachmentSettings))
      .catch((e: Error) => notify(e.message, { type: 'error' }));
  }, [show, notify]);

  const submit = async () => {
    const maxBytes = Math.round(Number(megabytes.replace(',', '.')) * 1024 * 1024);
    const answer = await save(() => gql<{ updateAttachmentSettings: Limits }>(SAVE, { i: { maxBytes: Number.isFinite(maxBytes) ? maxBytes : 0, allowedTypes: allowed } }), 'Attachment limits saved');
    if (answer) show(answer.updateAttachmentSettings);
  };
  const risky = allowed.some((t) => ['text/html', 'image/svg+xml', 'application/xml'].includes(t));

  return (
    <Box sx={{ p: 2, display: 'grid', gap: 2, maxWidth: 900 }}>
      <Title title="Attachments" />
      <Card>
        <CardHeader title="What files people may attach" subheader="On tickets, replies and email. The kind of a file is judged from its content, not its name." />
        <CardContent>
          {!limits ? (
            <Typography variant="body2">Loading the limits…</Typography>
          ) : (
            <Stack spacing={2}>
              <TextField
                label="Largest file (MB)"
                value={megabytes}
                onChange={(e) => setMegabytes(e.target.value)}
                inputProps={{ inputMode: 'decimal' }}
                error={!!errors.maxBytes}
                helperText={errors.maxBytes ?? `1 KB to 25 MB; usually ${fileSize(limits.defaultMaxBytes)}`}
                sx={{ maxWidth: 260 }}
              />
              <Box>
                <Typography variant="subtitle2">Kinds of file accepted</Typography>
                <FormGroup sx={{ display: 'grid', gridTemplateColumns: { xs: '1fr', sm: '1fr 1fr' } }}>
                  {limits.kinds.map((k) => (
                    <FormControlLabel
                      key={k.contentType}
                      label={k.label}
                      control={<Checkbox checked={allowed.includes(k.contentType)} onChange={(e) => setAllowed((all) => (e.target.checked ? [...all, k.contentType] : all.filter((x) => x !== k.contentType)))} />}
                    />
                  ))}
                </FormGroup>
                {errors.allowedTypes && <FormHelperText error>{errors.allowedTypes}</FormHelperText>}
              </Box>
              {risky && (
                <Alert severity="warning">
                  Web pages, SVG images and XML can carry scripts. They are only ever offered as downloads, never opened in the browser, but think twice before accepting them.
                </Alert>
              )}
              <Typography variant="body2" color="text.secondary">
                Programs and scripts are never accepted. Files in email that break these limits are left out, and the ticket says which.
              </Typography>
              <Stack direction="row" spacing={1}>
                <Button variant="contained" onClick={() => void submit()} disabled={busy}>
                  Save limits
                </Button>
                <Button
                  onClick={() => {
                    setMegabytes(String(+(limits.defaultMaxBytes / 1024 / 1024).toFixed(2)));
                    setAllowed(limits.defaultAllowedTypes);
                  }}
                  disabled={busy}
                >
                  Back to the usual limits
                </Button>
              </Stack>
            </Stack>
          )}
        </CardContent>
      </Card>
    </Box>
  );
}
