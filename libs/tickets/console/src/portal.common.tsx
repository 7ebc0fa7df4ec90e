import { Card, CardContent, Chip, Stack, Typography } from '@mui/material';
import type { ReactNode } from 'react';
import { When as PlatformWhen, type Api } from '@bulwark/platform-console';
import { STATUS_TONE, STATUS_WORDS } from './portal.data';

/** A moment in the reader's own locale and time zone (the browser's), as the console says it. */
export function When({ at, prefix }: { at: string; prefix?: string }) {
  return (
    <>
      {prefix ? `${prefix} ` : ''}
      <PlatformWhen value={at} />
    </>
  );
}

export function RequestStatus({ status }: { status: Api.TicketStatus }) {
  return <Chip size="small" label={STATUS_WORDS[status] ?? status} color={STATUS_TONE[status] ?? 'default'} variant={status === 'CLOSED' ? 'outlined' : 'filled'} />;
}

/** `#1001`, as people quote a request. */
export const requestNumber = (n: number) => `#${n}`;

/**
 * A message as written: its formatting when it has some (`htmlBody`, HTML the server sanitized
 * when it was stored, SECURITY.md E8), else its plain text with its line breaks.
 */
export function MessageBody({ body, htmlBody }: { body: string; htmlBody: string | null }) {
  const sx = { overflowWrap: 'anywhere', '& p': { my: 0.5 }, '& img': { maxWidth: '100%' } } as const;
  if (htmlBody) return <Typography component="div" variant="body1" sx={sx} dangerouslySetInnerHTML={{ __html: htmlBody }} />;
  return (
    <Typography component="div" variant="body1" sx={{ ...sx, whiteSpace: 'pre-wrap' }}>
      {body}
    </Typography>
  );
}

/** A form on a card, named for assistive technology; Enter in a one-line field submits it. */
export function FormCard({ label, onSubmit, children }: { label: string; onSubmit: () => void; children: ReactNode }) {
  return (
    <Card variant="outlined">
      <CardContent
        component="form"
        aria-label={label}
        // Our own messages, on their fields, instead of the browser's bubbles.
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          onSubmit();
        }}
      >
        <Stack spacing={2}>{children}</Stack>
      </CardContent>
    </Card>
  );
}
