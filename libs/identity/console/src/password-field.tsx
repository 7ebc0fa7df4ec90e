import { Box, LinearProgress, TextField, Typography } from '@mui/material';
import { useEffect, useMemo, useState } from 'react';
import { checkPassword, type PasswordRules } from '@bulwark/identity-shared';

let common: Promise<Set<string>> | null = null;
/** The same breached-password list the server uses, fetched only when a password is typed. */
const loadCommon = () =>
  (common ??= import('@zxcvbn-ts/language-common').then((m) => new Set((m.dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()))));

const LABELS = ['Not accepted', 'Acceptable', 'Good', 'Strong', 'Very strong'];
const COLORS = ['error', 'warning', 'info', 'success', 'success'] as const;

/**
 * A new-password field with a strength meter that applies the server's own rules (length,
 * breached list, context words): what it accepts, the server accepts.
 */
export function NewPasswordField(props: { label?: string; value: string; onChange: (v: string) => void; minLength: number; contextWords: string[]; error?: string }) {
  const [isCommon, setIsCommon] = useState<((p: string) => boolean) | null>(null);
  useEffect(() => {
    if (props.value && !isCommon) void loadCommon().then((set) => setIsCommon(() => (p: string) => set.has(p)));
  }, [props.value, isCommon]);
  const verdict = useMemo(() => {
    const rules: PasswordRules = { minLength: props.minLength, contextWords: props.contextWords, isCommon: isCommon ?? (() => false) };
    return checkPassword(props.value, rules);
  }, [props.value, props.minLength, props.contextWords, isCommon]);
  return (
    <Box>
      <TextField
        fullWidth
        type="password"
        label={props.label ?? 'New password'}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        autoComplete="new-password"
        // The server's refusal (a password seen in a breach) first, then what the policy says.
        helperText={props.error ?? (props.value ? verdict.messages.join('. ') || ' ' : `At least ${props.minLength} characters; a few unusual words work well`)}
        error={!!props.error || (!!props.value && !verdict.ok)}
      />
      {props.value && (
        <Box sx={{ mt: 1 }} aria-live="polite">
          <LinearProgress variant="determinate" value={(verdict.score / 4) * 100} color={COLORS[verdict.score]} />
          <Typography variant="caption">{LABELS[verdict.score]}</Typography>
        </Box>
      )}
    </Box>
  );
}
