import { Button, IconButton, Tooltip } from '@mui/material';
import { useState, type ReactElement } from 'react';
import { Confirm, useNotify, useRefresh } from 'react-admin';
import { withReauth } from './reauth';

/**
 * A button for something that cannot be undone (revoke, delete): it asks first, saying what will
 * happen; then runs `run` (after a password prompt when the server wants one), says `done` or
 * why it failed, and reloads the lists. With `icon`, a compact icon button whose tooltip is the
 * accessible name.
 */
export function ConfirmAction({
  name,
  label,
  icon,
  title,
  content,
  confirm,
  run,
  done,
}: {
  /** The button's accessible name, e.g. "Delete Billing". */
  name: string;
  /** Its visible text (without `icon`). */
  label?: string;
  icon?: ReactElement;
  title: string;
  content: string;
  confirm: string;
  run: () => Promise<unknown>;
  done: string;
}) {
  const notify = useNotify();
  const refresh = useRefresh();
  const [open, setOpen] = useState(false);
  const go = async () => {
    setOpen(false);
    try {
      await withReauth(run);
      notify(done, { type: 'success' });
    } catch (e) {
      notify((e as Error).message, { type: 'error' });
    } finally {
      refresh();
    }
  };
  return (
    <>
      {icon ? (
        <Tooltip title={name}>
          <IconButton size="small" aria-label={name} onClick={() => setOpen(true)}>
            {icon}
          </IconButton>
        </Tooltip>
      ) : (
        <Button size="small" color="error" aria-label={name} onClick={() => setOpen(true)}>
          {label}
        </Button>
      )}
      <Confirm isOpen={open} title={title} content={content} confirm={confirm} onConfirm={go} onClose={() => setOpen(false)} />
    </>
  );
}
