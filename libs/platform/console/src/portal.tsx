import ArrowDropDownIcon from '@mui/icons-material/ArrowDropDown';
import { AppBar, Box, Button, Container, Divider, Menu, MenuItem, Toolbar, Typography } from '@mui/material';
import { useEffect, useState, type ComponentType } from 'react';
import { Loading, useGetIdentity, useLogout, usePermissions, type LayoutProps } from 'react-admin';
import { Link, Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { SessionWatch } from './layout';
import { usesPortal } from './audience';
import type { ConsolePlugin, PortalPage } from './plugin';
import { ReauthDialog } from './reauth';

/**
 * The layout react-admin renders every signed-in page in: the console's, or for those `usesPortal`
 * picks, the portal, whose own routes replace the console's (any console address lands on the
 * portal's home), so its people never see the console's menu, dashboard or admin screens. The
 * console only hides; the server decides.
 */
export function buildAudienceLayout(plugins: readonly ConsolePlugin[], ConsoleLayout: ComponentType<LayoutProps>) {
  const Portal = buildPortal(plugins);
  return function AudienceLayout(props: LayoutProps) {
    const { identity, isPending: identityPending } = useGetIdentity();
    const { permissions, isPending: permissionsPending } = usePermissions<string[]>();
    // Neither layout until it is known whose page this is.
    if (identityPending || permissionsPending || !identity) return <Loading loadingPrimary="Loading" loadingSecondary="Just a moment" />;
    if (usesPortal(plugins, { role: String(identity.role ?? ''), permissions: permissions ?? [] })) return <Portal />;
    return <ConsoleLayout {...props} />;
  };
}

function buildPortal(plugins: readonly ConsolePlugin[]) {
  const pages = plugins.flatMap((p) => p.portal?.pages ?? []);
  const home = pages.find((p) => p.home) ?? pages[0];
  const banners = plugins.flatMap((p) => p.banners ?? []);

  return function Portal() {
    const { identity } = useGetIdentity();
    const workspace = (identity?.tenant as { name?: string } | undefined)?.name ?? '';
    return (
      // The tab says whose help desk this is: "My requests · Acme" (document-title.tsx).
      <Box data-testid="portal" data-title-suffix={workspace || undefined} sx={{ minHeight: '100vh', bgcolor: 'grey.50' }}>
        <SessionWatch />
        <ReauthDialog />
        <PortalHeader workspace={workspace} name={identity?.fullName ?? ''} pages={pages} home={home} />
        {banners.map((B, i) => (
          <B key={i} />
        ))}
        <Container component="main" maxWidth="md" sx={{ py: { xs: 2, sm: 3 }, px: { xs: 2, sm: 3 } }}>
          <Typography component="h1" variant="h5" id="react-admin-title" sx={{ mb: 2, fontWeight: 600, overflowWrap: 'anywhere' }} />
          <Routes>
            {pages.map((p) => (
              <Route key={p.path} path={`/${p.path}`} element={<p.component />} />
            ))}
            <Route path="*" element={<Navigate to={`/${home.path}`} replace />} />
          </Routes>
        </Container>
      </Box>
    );
  };
}

/** The header: the workspace, the main pages, and the person's own menu (their account, sign out). */
function PortalHeader({ workspace, name, pages, home }: { workspace: string; name: string; pages: PortalPage[]; home: PortalPage }) {
  const logout = useLogout();
  const { pathname } = useLocation();
  const [anchor, setAnchor] = useState<HTMLElement | null>(null);
  // Another page (the browser's back button, a typed address) closes the menu.
  useEffect(() => setAnchor(null), [pathname]);
  const main = pages.filter((p) => p.nav === 'main');
  const own = pages.filter((p) => p.nav === 'account');
  // The nearest page: "My requests" stays lit on one request's page, "New request" on its own.
  const current = main.filter((p) => pathname === `/${p.path}` || pathname.startsWith(`/${p.path}/`)).sort((a, b) => b.path.length - a.path.length)[0];
  return (
    <AppBar position="static" color="inherit" elevation={0} sx={{ borderBottom: 1, borderColor: 'divider' }}>
      <Toolbar sx={{ flexWrap: 'wrap', columnGap: 2, rowGap: 0.5, py: 1, maxWidth: 'md', width: '100%', mx: 'auto', px: { xs: 2, sm: 3 } }}>
        <Typography component={Link} to={`/${home.path}`} variant="h6" noWrap sx={{ fontWeight: 700, color: 'inherit', textDecoration: 'none', minWidth: 0, flexShrink: 1 }}>
          {workspace}
        </Typography>
        <Box component="nav" aria-label="Your requests" sx={{ display: 'flex', gap: 1, order: { xs: 3, sm: 0 }, width: { xs: '100%', sm: 'auto' } }}>
          {main.map((p) => (
            <Button key={p.path} component={Link} to={`/${p.path}`} aria-current={p === current ? 'page' : undefined} variant={p === current ? 'contained' : 'text'} disableElevation size="small">
              {p.label}
            </Button>
          ))}
        </Box>
        <Box sx={{ flexGrow: 1 }} />
        <Button color="inherit" onClick={(e) => setAnchor(e.currentTarget)} endIcon={<ArrowDropDownIcon />} aria-haspopup="menu" sx={{ textTransform: 'none', maxWidth: 200 }}>
          <Box component="span" sx={{ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>
            {name}
          </Box>
        </Button>
        <Menu anchorEl={anchor} open={!!anchor} onClose={() => setAnchor(null)} anchorOrigin={{ vertical: 'bottom', horizontal: 'right' }} transformOrigin={{ vertical: 'top', horizontal: 'right' }}>
          {own.map((p) => (
            <MenuItem key={p.path} component={Link} to={`/${p.path}`} onClick={() => setAnchor(null)}>
              {p.label}
            </MenuItem>
          ))}
          {own.length > 0 && <Divider />}
          <MenuItem
            onClick={() => {
              setAnchor(null);
              void logout();
            }}
          >
            Sign out
          </MenuItem>
        </Menu>
      </Toolbar>
    </AppBar>
  );
}

