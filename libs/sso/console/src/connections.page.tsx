import AddIcon from '@mui/icons-material/Add';
import { Button, Chip, ListItemText, Menu, MenuItem, Stack, Typography } from '@mui/material';
import { useState } from 'react';
import { DataTable, Link, useCanAccess, useDataProvider, useNavigate } from 'react-admin';
import { ConfirmAction, RecordListPage, RecordTable } from '@bulwark/platform-console';
import { EnforcementSection } from './enforcement.section';
import { ScimSection } from './scim.section';
import { kindName, KIND_NAMES, type SsoConnection, type SsoKind } from './sso.data';

const RESOURCE = 'sso-connections';

function NewConnectionButton() {
  const navigate = useNavigate();
  const [anchor, setAnchor] = useState<HTMLElement | null>(null);
  return (
    <>
      <Button variant="contained" startIcon={<AddIcon />} onClick={(e) => setAnchor(e.currentTarget)} aria-haspopup="menu" sx={{ whiteSpace: 'nowrap', flexShrink: 0 }}>
        New connection
      </Button>
      <Menu anchorEl={anchor} open={!!anchor} onClose={() => setAnchor(null)} anchorOrigin={{ vertical: 'bottom', horizontal: 'right' }} transformOrigin={{ vertical: 'top', horizontal: 'right' }}>
        {(Object.keys(KIND_NAMES) as SsoKind[]).map((k) => (
          <MenuItem key={k} onClick={() => navigate(`/${RESOURCE}/create?kind=${k}`)}>
            <ListItemText primary={KIND_NAMES[k]} />
          </MenuItem>
        ))}
      </Menu>
    </>
  );
}

/**
 * Single sign-on: the workspace's connections to identity providers, who must use them, and
 * SCIM provisioning. Each section shows to those whose permissions it needs.
 */
export function ConnectionsList() {
  const dataProvider = useDataProvider();
  const canEnforce = !!useCanAccess({ resource: RESOURCE, action: 'enforce' }).canAccess;
  const canScim = !!useCanAccess({ resource: RESOURCE, action: 'scim' }).canAccess;
  return (
    <RecordListPage
      resource={RESOURCE}
      title="Single sign-on"
      description="Let people sign in through your company’s identity provider (OpenID Connect, SAML 2.0 or JWT)."
      loading="Loading connections…"
      actions={<NewConnectionButton />}
      after={
        <>
          {canEnforce && <EnforcementSection />}
          {canScim && <ScimSection />}
        </>
      }
    >
      <RecordTable label="Single sign-on connections" empty="No connections yet. Add one for your identity provider with New connection.">
        <DataTable.Col<SsoConnection>
          label="Name"
          render={(c) => (
            <Link to={`/${RESOURCE}/${c.id}`} sx={{ fontWeight: 500 }}>
              {c.name}
            </Link>
          )}
        />
        <DataTable.Col<SsoConnection> label="Kind" render={(c) => kindName(c.kind)} />
        <DataTable.Col<SsoConnection>
          label="Status"
          render={(c) => <Chip size="small" variant="outlined" label={c.enabled ? 'On' : 'Off'} color={c.enabled ? 'success' : 'default'} />}
        />
        <DataTable.Col<SsoConnection> label="Sign-in page" render={(c) => (c.showButton ? 'Button shown' : 'No button')} />
        <DataTable.Col<SsoConnection>
          label="Domains"
          render={(c) =>
            c.domains.length ? (
              <Stack direction="row" spacing={0.5} flexWrap="wrap" useFlexGap>
                {c.domains.map((d) => (
                  <Chip key={d} size="small" variant="outlined" label={d} />
                ))}
              </Stack>
            ) : (
              <Typography variant="body2" color="text.secondary">
                None
              </Typography>
            )
          }
        />
        <DataTable.Col<SsoConnection>
          label="Manage"
          align="right"
          sx={{ whiteSpace: 'nowrap' }}
          render={(c) => (
            <>
              <Button size="small" component={Link} to={`/${RESOURCE}/${c.id}`} aria-label={`Edit ${c.name}`}>
                Edit
              </Button>
              <ConfirmAction
                name={`Delete ${c.name}`}
                label="Delete"
                title={`Delete the connection ${c.name}?`}
                content="People who signed in through it will have to sign in another way. This cannot be undone."
                confirm="Delete"
                run={() => dataProvider.delete(RESOURCE, { id: c.id, previousData: c })}
                done={`${c.name} deleted`}
              />
            </>
          )}
        />
      </RecordTable>
    </RecordListPage>
  );
}
