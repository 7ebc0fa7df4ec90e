import AddIcon from '@mui/icons-material/Add';
import DeleteIcon from '@mui/icons-material/DeleteOutline';
import { Alert, Box, Button, Card, CardContent, CardHeader, IconButton, MenuItem, Stack, TextField, Tooltip, Typography } from '@mui/material';
import { useState } from 'react';
import { GraphQLRequestError, type Api } from '@bulwark/platform-console';
import { mappingInput, type MappingState } from './connection.state';
import { errorAt, type FieldErrors } from './form-errors';
import { previewMapping, type RoleChoice } from './sso.data';

const SAMPLE = '{\n  "email": "ana@example.com",\n  "roles": ["helpdesk"],\n  "groups": ["support", "billing"]\n}';

/**
 * Role and groups from the provider's claims, applied at every sign-in: which claim holds them,
 * and which value gives which role or group. The preview asks the server what a sample of claims
 * would give, with the rules as they stand in the form (saved or not).
 */
export function MappingCard({
  value,
  onChange,
  roles,
  groups,
  defaultRole,
  errors,
}: {
  value: MappingState;
  onChange: (m: MappingState) => void;
  roles: RoleChoice[];
  groups: { id: string; name: string }[];
  defaultRole: string;
  errors: FieldErrors;
}) {
  const [claims, setClaims] = useState('');
  const [preview, setPreview] = useState<Api.SsoMappingPreview | null>(null);
  const [previewError, setPreviewError] = useState<string | null>(null);
  const roleName = (key: string) => roles.find((r) => r.key === key)?.name ?? 'a role that no longer exists';
  const assignable = roles.filter((r) => r.key !== 'owner');

  const setRole = (i: number, patch: Partial<MappingState['roles'][number]>) => onChange({ ...value, roles: value.roles.map((r, j) => (j === i ? { ...r, ...patch } : r)) });
  const setGroup = (i: number, patch: Partial<MappingState['groups'][number]>) => onChange({ ...value, groups: value.groups.map((g, j) => (j === i ? { ...g, ...patch } : g)) });

  const runPreview = async () => {
    setPreview(null);
    setPreviewError(null);
    try {
      JSON.parse(claims);
    } catch {
      setPreviewError('The sample is not JSON: paste the claims as an object, like the example.');
      return;
    }
    try {
      setPreview(await previewMapping(mappingInput(value), claims));
    } catch (e) {
      setPreviewError(e instanceof GraphQLRequestError ? e.serverMessage : 'The preview did not work. Try again.');
    }
  };

  return (
    <Card>
      <CardHeader title="Roles and groups from the provider" subheader="Applied at every sign-in. Owners are never changed by a provider." />
      <CardContent>
        <Stack spacing={3}>
          <Box>
            <Typography variant="subtitle2" gutterBottom>
              Role
            </Typography>
            <Stack spacing={1.5}>
              <TextField
                label="Claim holding roles"
                value={value.roleClaim}
                onChange={(e) => onChange({ ...value, roleClaim: e.target.value })}
                placeholder="roles"
                helperText={errorAt(errors, 'mapping.roleClaim') ?? 'The claim (OpenID Connect) or attribute (SAML, JWT) your provider puts roles in'}
                error={!!errorAt(errors, 'mapping.roleClaim')}
                sx={{ maxWidth: 420 }}
                inputProps={{ maxLength: 200 }}
              />
              {value.roles.map((r, i) => (
                <Stack key={i} direction="row" spacing={1} alignItems="flex-start">
                  <TextField
                    size="small"
                    label="When the claim holds"
                    value={r.value}
                    onChange={(e) => setRole(i, { value: e.target.value })}
                    error={!!errorAt(errors, `mapping.roles.${i}.value`)}
                    helperText={errorAt(errors, `mapping.roles.${i}.value`)}
                    inputProps={{ maxLength: 200 }}
                    sx={{ flex: 1 }}
                  />
                  <TextField
                    size="small"
                    select
                    label="they get the role"
                    value={r.role}
                    onChange={(e) => setRole(i, { role: e.target.value })}
                    error={!!errorAt(errors, `mapping.roles.${i}.role`)}
                    helperText={errorAt(errors, `mapping.roles.${i}.role`)}
                    sx={{ flex: 1 }}
                  >
                    {assignable.map((o) => (
                      <MenuItem key={o.key} value={o.key}>
                        {o.name}
                      </MenuItem>
                    ))}
                  </TextField>
                  <Tooltip title="Remove this rule">
                    <IconButton aria-label={`Remove role rule ${i + 1}`} onClick={() => onChange({ ...value, roles: value.roles.filter((_r, j) => j !== i) })}>
                      <DeleteIcon />
                    </IconButton>
                  </Tooltip>
                </Stack>
              ))}
              <Box>
                <Button size="small" startIcon={<AddIcon />} onClick={() => onChange({ ...value, roles: [...value.roles, { value: '', role: 'agent' }] })}>
                  Add a role rule
                </Button>
              </Box>
              <Typography variant="caption" color="text.secondary">
                The first rule that matches wins. When none does, new accounts get {roleName(defaultRole)} and existing ones keep their role.
              </Typography>
            </Stack>
          </Box>

          <Box>
            <Typography variant="subtitle2" gutterBottom>
              Groups
            </Typography>
            <Stack spacing={1.5}>
              <TextField
                label="Claim holding groups"
                value={value.groupClaim}
                onChange={(e) => onChange({ ...value, groupClaim: e.target.value })}
                placeholder="groups"
                helperText={errorAt(errors, 'mapping.groupClaim') ?? 'People join every group whose value this claim holds, and leave the mapped groups it no longer holds'}
                error={!!errorAt(errors, 'mapping.groupClaim')}
                sx={{ maxWidth: 420 }}
                inputProps={{ maxLength: 200 }}
              />
              {value.groups.map((g, i) => (
                <Stack key={i} direction="row" spacing={1} alignItems="flex-start">
                  <TextField
                    size="small"
                    label="When the claim holds"
                    value={g.value}
                    onChange={(e) => setGroup(i, { value: e.target.value })}
                    error={!!errorAt(errors, `mapping.groups.${i}.value`)}
                    helperText={errorAt(errors, `mapping.groups.${i}.value`)}
                    inputProps={{ maxLength: 200 }}
                    sx={{ flex: 1 }}
                  />
                  <TextField
                    size="small"
                    select
                    label="they are in the group"
                    value={g.groupId}
                    onChange={(e) => setGroup(i, { groupId: e.target.value })}
                    error={!!errorAt(errors, `mapping.groups.${i}.groupId`)}
                    helperText={errorAt(errors, `mapping.groups.${i}.groupId`) && 'That group no longer exists: choose another'}
                    sx={{ flex: 1 }}
                  >
                    {groups.map((o) => (
                      <MenuItem key={o.id} value={o.id}>
                        {o.name}
                      </MenuItem>
                    ))}
                  </TextField>
                  <Tooltip title="Remove this rule">
                    <IconButton aria-label={`Remove group rule ${i + 1}`} onClick={() => onChange({ ...value, groups: value.groups.filter((_g, j) => j !== i) })}>
                      <DeleteIcon />
                    </IconButton>
                  </Tooltip>
                </Stack>
              ))}
              <Box>
                <Tooltip title={groups.length ? '' : 'Create groups first (Groups page)'}>
                  <span>
                    <Button
                      size="small"
                      startIcon={<AddIcon />}
                      disabled={!groups.length}
                      onClick={() => onChange({ ...value, groups: [...value.groups, { value: '', groupId: groups[0]?.id ?? '' }] })}
                    >
                      Add a group rule
                    </Button>
                  </span>
                </Tooltip>
              </Box>
            </Stack>
          </Box>

          <Box sx={{ border: 1, borderColor: 'divider', borderRadius: 1, p: 2 }}>
            <Typography variant="subtitle2">Preview</Typography>
            <Typography variant="body2" color="text.secondary" sx={{ mb: 1.5 }}>
              Paste the claims of a sample person (JSON) to see what these rules give them. Nothing is saved.
            </Typography>
            <TextField
              label="Sample claims"
              multiline
              minRows={4}
              fullWidth
              value={claims}
              onChange={(e) => setClaims(e.target.value)}
              placeholder={SAMPLE}
              inputProps={{ style: { fontFamily: 'monospace', fontSize: 13 }, maxLength: 100_000 }}
            />
            <Stack direction="row" spacing={2} alignItems="center" sx={{ mt: 1.5 }}>
              <Button variant="outlined" onClick={runPreview} disabled={!claims.trim()}>
                Preview
              </Button>
            </Stack>
            {previewError && (
              <Alert severity="error" sx={{ mt: 1.5 }}>
                {previewError}
              </Alert>
            )}
            {preview && (
              <Alert severity="info" sx={{ mt: 1.5 }} data-testid="mapping-preview">
                <strong>Role:</strong> {preview.role ? roleName(preview.role) : `no rule matches (new accounts get ${roleName(defaultRole)}, existing ones keep theirs)`}
                <br />
                <strong>Groups:</strong> {preview.groups.length ? preview.groups.map((g) => g.name).join(', ') : 'none'}
              </Alert>
            )}
          </Box>
        </Stack>
      </CardContent>
    </Card>
  );
}
