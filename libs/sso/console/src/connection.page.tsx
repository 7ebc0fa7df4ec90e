import ArrowBackIcon from '@mui/icons-material/ArrowBack';
import CheckCircleIcon from '@mui/icons-material/CheckCircle';
import ErrorIcon from '@mui/icons-material/Error';
import InfoIcon from '@mui/icons-material/Info';
import {
  Alert,
  Box,
  Button,
  Card,
  CardActionArea,
  CardContent,
  CardHeader,
  Chip,
  CircularProgress,
  List,
  ListItem,
  ListItemIcon,
  ListItemText,
  Stack,
  Table,
  TableBody,
  TableCell,
  TableRow,
  Typography,
} from '@mui/material';
import { useEffect, useState, type ReactNode } from 'react';
import { CanAccess, Link, Title, useDataProvider, useGetOne, useLocation, useNavigate, useNotify, useParams } from 'react-admin';
import { AccessDenied, ConfirmAction, GraphQLRequestError, withReauth, type Api } from '@bulwark/platform-console';
import { CopyField } from './copy-button';
import { ConnectionForm } from './connection.form';
import { initialState } from './connection.state';
import { kindName, KIND_NAMES, loadGroups, loadRoles, testConnection, type RoleChoice, type SsoConnection, type SsoKind } from './sso.data';

const RESOURCE = 'sso-connections';

const KIND_HELP: Record<SsoKind, string> = {
  oidc: 'Okta, Microsoft Entra ID, Google Workspace, Auth0, Keycloak and most modern providers.',
  saml: 'ADFS, Okta, OneLogin, Shibboleth and other providers that speak SAML.',
  jwt: 'Your own sign-in page signs people in and sends them here with a signed token.',
};

/** Roles and groups the form's pickers offer, loaded once per page. */
function useChoices() {
  const [roles, setRoles] = useState<RoleChoice[] | null>(null);
  const [groups, setGroups] = useState<{ id: string; name: string }[]>([]);
  useEffect(() => {
    void loadRoles().then(setRoles);
    void loadGroups().then(setGroups);
  }, []);
  return { roles, groups };
}

function PageFrame({ title, heading, chips, children }: { title: string; heading: ReactNode; chips?: ReactNode; children: ReactNode }) {
  return (
    <Box sx={{ p: 2, maxWidth: 900, display: 'grid', gap: 2 }}>
      <Title title={title} />
      <Box>
        <Button component={Link} to={`/${RESOURCE}`} size="small" startIcon={<ArrowBackIcon />} sx={{ mb: 1 }}>
          Single sign-on
        </Button>
        <Stack direction="row" spacing={1.5} alignItems="center" flexWrap="wrap" useFlexGap>
          <Typography variant="h5" component="h1">
            {heading}
          </Typography>
          {chips}
        </Stack>
      </Box>
      {children}
    </Box>
  );
}

/** Choosing what kind of provider a new connection talks to (fixed once created). */
function KindPicker({ onPick }: { onPick: (k: SsoKind) => void }) {
  return (
    <Box sx={{ display: 'grid', gap: 2, gridTemplateColumns: 'repeat(auto-fill, minmax(260px, 1fr))' }}>
      {(Object.keys(KIND_NAMES) as SsoKind[]).map((k) => (
        <Card key={k} variant="outlined">
          <CardActionArea onClick={() => onPick(k)} sx={{ height: '100%', alignItems: 'flex-start' }}>
            <CardContent>
              <Typography variant="h6">{KIND_NAMES[k]}</Typography>
              <Typography variant="body2" color="text.secondary">
                {KIND_HELP[k]}
              </Typography>
            </CardContent>
          </CardActionArea>
        </Card>
      ))}
    </Box>
  );
}

/** A new connection: its kind, then its settings; saved, it opens on its own page with our URLs. */
export function ConnectionCreate() {
  return (
    <CanAccess resource={RESOURCE} action="create" accessDenied={<AccessDenied />}>
      <CreateConnection />
    </CanAccess>
  );
}

function CreateConnection() {
  const location = useLocation();
  const navigate = useNavigate();
  const notify = useNotify();
  const dataProvider = useDataProvider();
  const { roles, groups } = useChoices();
  const asked = new URLSearchParams(location.search).get('kind');
  const [kind, setKind] = useState<SsoKind | null>(asked && asked in KIND_NAMES ? (asked as SsoKind) : null);

  const save = async (input: Api.SsoConnectionInput) => {
    const { data } = await withReauth(() => dataProvider.create<SsoConnection>(RESOURCE, { data: input }), 'Adding a way to sign in is sensitive.');
    notify(`${data.name} created. Give your provider the URLs below, then test the connection.`, { type: 'success' });
    navigate(`/${RESOURCE}/${data.id}`);
  };

  if (!kind) {
    return (
      <PageFrame title="New single sign-on connection" heading="New connection">
        <Typography variant="body2" color="text.secondary">
          What kind of identity provider does your company use?
        </Typography>
        <KindPicker onPick={setKind} />
      </PageFrame>
    );
  }
  return (
    <PageFrame title="New single sign-on connection" heading={`New ${kindName(kind)} connection`}>
      {roles ? (
        <ConnectionForm
          key={kind}
          initial={initialState(kind)}
          roles={roles}
          groups={groups}
          submitLabel="Create connection"
          onSave={save}
          onCancel={() => navigate(`/${RESOURCE}`)}
        />
      ) : (
        <Typography>Loading…</Typography>
      )}
    </PageFrame>
  );
}

/** One connection: our URLs for the provider, a test of its configuration, and its settings. */
export function ConnectionEdit() {
  return (
    <CanAccess resource={RESOURCE} action="edit" accessDenied={<AccessDenied />}>
      <EditConnection />
    </CanAccess>
  );
}

function EditConnection() {
  const { id } = useParams<{ id: string }>();
  const navigate = useNavigate();
  const notify = useNotify();
  const dataProvider = useDataProvider();
  const { roles, groups } = useChoices();
  const { data: connection, error, refetch } = useGetOne<SsoConnection>(RESOURCE, { id: id ?? '' }, { enabled: !!id, retry: false });

  if (error) {
    const gone = error instanceof GraphQLRequestError && error.code === 'NOT_FOUND';
    return (
      <PageFrame title="Single sign-on connection" heading="Connection">
        <Alert severity={gone ? 'info' : 'error'}>{gone ? 'This connection no longer exists. It may have been deleted.' : (error as Error).message}</Alert>
      </PageFrame>
    );
  }
  if (!connection || !roles) {
    return (
      <PageFrame title="Single sign-on connection" heading="Connection">
        <Typography>Loading…</Typography>
      </PageFrame>
    );
  }

  const save = async (input: Api.SsoConnectionInput) => {
    await withReauth(() => dataProvider.update<SsoConnection>(RESOURCE, { id: connection.id, data: input, previousData: connection }), 'Changing how people sign in is sensitive.');
    notify(`${input.name} saved`, { type: 'success' });
    await refetch();
  };

  return (
    <PageFrame
      title={`Single sign-on: ${connection.name}`}
      heading={connection.name}
      chips={
        <>
          <Chip label={kindName(connection.kind)} variant="outlined" size="small" />
          <Chip label={connection.enabled ? 'On' : 'Off'} color={connection.enabled ? 'success' : 'default'} size="small" />
        </>
      }
    >
      <ProviderSetup connection={connection} />
      <ConnectionForm
        key={connection.updatedAt}
        initial={initialState(connection.kind as SsoKind, connection)}
        connection={connection}
        roles={roles}
        groups={groups}
        submitLabel="Save changes"
        onSave={save}
        onCancel={() => navigate(`/${RESOURCE}`)}
        extraActions={
          <ConfirmAction
            name={`Delete ${connection.name}`}
            label="Delete connection"
            title={`Delete the connection ${connection.name}?`}
            content="People who signed in through it will have to sign in another way. This cannot be undone."
            confirm="Delete"
            run={async () => {
              await dataProvider.delete(RESOURCE, { id: connection.id, previousData: connection });
              navigate(`/${RESOURCE}`);
            }}
            done={`${connection.name} deleted`}
          />
        }
      />
    </PageFrame>
  );
}

/** Checks whose failure does not stop sign-ins (the server leaves them out of `ok`). */
const ADVISORY = new Set(['Back-channel logout', 'Switched on']);

/** Our URLs to give the provider, and a test that reads the provider's configuration as a sign-in would. */
function ProviderSetup({ connection }: { connection: SsoConnection }) {
  const [result, setResult] = useState<Api.SsoTestResult | null>(null);
  const [testing, setTesting] = useState(false);
  const [testError, setTestError] = useState<string | null>(null);
  useEffect(() => setResult(null), [connection.updatedAt]);
  const test = async () => {
    setTesting(true);
    setTestError(null);
    try {
      setResult(await testConnection(connection.id));
    } catch (e) {
      setTestError(e instanceof GraphQLRequestError ? e.serverMessage : 'The test did not run. Try again.');
    } finally {
      setTesting(false);
    }
  };
  return (
    <Card>
      <CardHeader title="Set up at your provider" titleTypographyProps={{ variant: 'h6' }} subheader="Copy these URLs into your provider’s settings for this application" />
      <CardContent sx={{ pt: 0 }}>
        {connection.endpoints.length ? (
          <Table size="small" aria-label="Our URLs for the provider">
            <TableBody>
              {connection.endpoints.map((e) => (
                <TableRow key={e.label}>
                  <TableCell sx={{ width: '34%', verticalAlign: 'top', pl: 0 }}>
                    <Typography variant="body2">{e.label}</Typography>
                  </TableCell>
                  <TableCell sx={{ pr: 0 }}>
                    <CopyField value={e.url} label={`Copy the ${e.label.replace(/\s*\(.*\)$/, '')}`} testId="endpoint-url" />
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        ) : (
          <Typography variant="body2" color="text.secondary">
            This kind of connection needs no URLs of ours.
          </Typography>
        )}
        <Stack direction="row" spacing={2} alignItems="center" sx={{ mt: 2 }}>
          <Button variant="contained" onClick={test} disabled={testing} startIcon={testing ? <CircularProgress size={16} /> : undefined}>
            Test connection
          </Button>
          <Typography variant="caption" color="text.secondary">
            Tests the saved settings: save your changes first.
          </Typography>
        </Stack>
        {testError && (
          <Alert severity="error" sx={{ mt: 2 }}>
            {testError}
          </Alert>
        )}
        {result && (
          <Box sx={{ mt: 2 }} data-testid="test-result">
            <Alert severity={result.ok ? 'success' : 'error'}>
              {result.ok ? 'The provider answers as a sign-in needs.' : 'Sign-ins through this connection would fail: see the failed checks.'}
            </Alert>
            <List dense aria-label="Test results">
              {result.checks.map((c) => (
                <ListItem key={c.name} disableGutters>
                  <ListItemIcon sx={{ minWidth: 36 }}>
                    {c.ok ? <CheckCircleIcon color="success" /> : ADVISORY.has(c.name) ? <InfoIcon color="warning" /> : <ErrorIcon color="error" />}
                  </ListItemIcon>
                  <ListItemText
                    primary={
                      <>
                        {c.name}: <strong>{c.ok ? 'ok' : ADVISORY.has(c.name) ? 'note' : 'failed'}</strong>
                      </>
                    }
                    secondary={c.message}
                  />
                </ListItem>
              ))}
            </List>
          </Box>
        )}
      </CardContent>
    </Card>
  );
}
