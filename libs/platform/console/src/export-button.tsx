import DownloadIcon from '@mui/icons-material/Download';
import { CircularProgress, ListItemText, Menu, MenuItem } from '@mui/material';
import { useId, useState } from 'react';
// react-admin's Button, as the toolbar's own buttons (Add filter, Create) are, so they line up.
import { Button, useCanAccess, useNotify, useResourceContext } from 'react-admin';
import { downloadOnce } from './download';

export type ExportFormat = 'csv' | 'ndjson';

const FORMATS: { id: ExportFormat; label: string; hint: string }[] = [
  { id: 'csv', label: 'CSV', hint: 'For spreadsheets' },
  { id: 'ndjson', label: 'NDJSON', hint: 'One JSON object per line, for tools' },
];

/**
 * A bulk export (D12) as the console offers it: a format menu; the server answers with a one-time
 * link, after a password confirmation when none is recent, and the browser downloads the file the
 * server streams. Nothing is assembled in the page, so no data leaves but through the server's
 * rules and audit. Hidden unless `canAccess` allows the list's resource `export` (the server
 * decides anyway).
 */
export function ExportButton({ prepare, why }: { prepare: (format: ExportFormat) => Promise<{ url: string }>; why?: string }) {
  const resource = useResourceContext();
  const { canAccess } = useCanAccess({ resource, action: 'export' });
  const notify = useNotify();
  const menuId = useId();
  const [anchor, setAnchor] = useState<HTMLElement | null>(null);
  const [busy, setBusy] = useState(false);
  if (!canAccess) return null;
  const run = async (format: ExportFormat) => {
    setAnchor(null);
    setBusy(true);
    try {
      await downloadOnce(() => prepare(format), why);
      notify('Export started: the file is downloading', { type: 'success' });
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button label="ra.action.export" disabled={busy} onClick={(e) => setAnchor(e.currentTarget)} aria-haspopup="menu" aria-controls={anchor ? menuId : undefined}>
        {busy ? <CircularProgress size={16} /> : <DownloadIcon />}
      </Button>
      <Menu id={menuId} anchorEl={anchor} open={!!anchor} onClose={() => setAnchor(null)}>
        {FORMATS.map((f) => (
          <MenuItem key={f.id} onClick={() => run(f.id)}>
            <ListItemText primary={f.label} secondary={f.hint} />
          </MenuItem>
        ))}
      </Menu>
    </>
  );
}
