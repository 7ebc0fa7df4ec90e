import CheckIcon from '@mui/icons-material/Check';
import ContentCopyIcon from '@mui/icons-material/ContentCopy';
import { Box, IconButton, Stack, Tooltip } from '@mui/material';
import { useState } from 'react';

/** Copies `value`; its tooltip says when it did. `label` is its accessible name ("Copy the redirect URI"). */
export function CopyButton({ value, label }: { value: string; label: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
      setTimeout(() => setCopied(false), 2000);
    } catch {
      // Clipboard access can be refused (a non-secure origin); the text stays selectable.
    }
  };
  return (
    <Tooltip title={copied ? 'Copied' : 'Copy to the clipboard'}>
      <IconButton size="small" aria-label={label} onClick={copy}>
        {copied ? <CheckIcon fontSize="small" color="success" /> : <ContentCopyIcon fontSize="small" />}
      </IconButton>
    </Tooltip>
  );
}

/** A value to paste elsewhere (a URL, a secret): monospace, selectable whole, with its copy button. */
export function CopyField({ value, label, testId }: { value: string; label: string; testId?: string }) {
  return (
    <Stack direction="row" spacing={1} alignItems="center" sx={{ minWidth: 0 }}>
      <Box
        data-testid={testId}
        sx={{ flexGrow: 1, minWidth: 0, fontFamily: 'monospace', fontSize: 13, px: 1, py: 0.5, bgcolor: 'action.hover', borderRadius: 1, wordBreak: 'break-all', userSelect: 'all' }}
      >
        {value}
      </Box>
      <CopyButton value={value} label={label} />
    </Stack>
  );
}
