import ContentCopyIcon from '@mui/icons-material/ContentCopy';
import { Alert, Box, Button, Dialog, DialogActions, DialogContent, DialogTitle, IconButton, Stack, Tooltip } from '@mui/material';
import { useEffect, useState, type ReactNode } from 'react';

/**
 * A secret the server answers once and keeps only hashed or sealed (API tokens, webhook signing
 * secrets): shown selectable, with a copy button and a warning, until the person confirms.
 */
export function OneTimeSecretDialog({
  value,
  title,
  warning,
  copyLabel,
  testId,
  children,
  onClose,
}: {
  value: string | null;
  title: string;
  warning: ReactNode;
  copyLabel: string;
  testId: string;
  /** How to use it, below the value. */
  children?: ReactNode;
  onClose: () => void;
}) {
  const [copied, setCopied] = useState(false);
  useEffect(() => setCopied(false), [value]);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value ?? '');
      setCopied(true);
    } catch {
      // Clipboard access can be refused (non-secure origin); the text stays selectable.
    }
  };
  return (
    <Dialog open={!!value} onClose={onClose} aria-labelledby="one-time-secret-title" maxWidth="sm" fullWidth>
      <DialogTitle id="one-time-secret-title">{title}</DialogTitle>
      <DialogContent>
        <Alert severity="warning" sx={{ mb: 2 }}>
          {warning}
        </Alert>
        <Stack direction="row" spacing={1} alignItems="center">
          <Box data-testid={testId} sx={{ flexGrow: 1, fontFamily: 'monospace', p: 1, bgcolor: 'action.hover', borderRadius: 1, wordBreak: 'break-all', userSelect: 'all' }}>
            {value}
          </Box>
          <Tooltip title={copied ? 'Copied' : 'Copy to the clipboard'}>
            <IconButton aria-label={copyLabel} onClick={copy}>
              <ContentCopyIcon />
            </IconButton>
          </Tooltip>
        </Stack>
        {children}
      </DialogContent>
      <DialogActions>
        <Button variant="contained" onClick={onClose}>
          I have copied it
        </Button>
      </DialogActions>
    </Dialog>
  );
}
