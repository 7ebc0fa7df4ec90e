import { useEffect } from 'react';
import { Layout, Menu, useCanAccessResources, useCheckAuth, type LayoutProps } from 'react-admin';
import type { SxProps, Theme } from '@mui/material';
import type { ConsolePlugin } from './plugin';
import { ReauthDialog } from './reauth';

/**
 * The menu is the resources, then the plugin pages, each shown only when `canAccess` lets the
 * signed-in person list it (react-admin asks for resources; this asks for pages); banners sit
 * above every page.
 */
export function buildLayout(plugins: readonly ConsolePlugin[]) {
  const pages = plugins.flatMap((p) => p.pages ?? []).filter((p) => p.menu && !p.public);
  const paths = pages.map((p) => p.path);
  const banners = plugins.flatMap((p) => p.banners ?? []);

  function PluginMenu() {
    const { canAccess } = useCanAccessResources({ action: 'list', resources: paths });
    return (
      <Menu>
        <Menu.DashboardItem />
        <Menu.ResourceItems />
        {pages
          .filter((p) => canAccess?.[p.path])
          .map((p) => {
            const Icon = p.menu?.icon;
            return <Menu.Item key={p.path} to={`/${p.path}`} primaryText={p.menu?.label} leftIcon={Icon ? <Icon /> : undefined} />;
          })}
      </Menu>
    );
  }

  return function PluginLayout({ children, ...rest }: LayoutProps) {
    return (
      <Layout {...rest} menu={PluginMenu} sx={narrowScreens}>
        <SessionWatch />
        <ReauthDialog />
        {banners.map((B, i) => (
          <B key={i} />
        ))}
        {children}
      </Layout>
    );
  };
}

/**
 * At phone width (390 px) the page itself never scrolls sideways: react-admin's layout grows to
 * fit its widest table (`min-width: fit-content`), so here the page keeps the screen's width
 * and a table too wide for it scrolls inside its own box. On wider screens tables keep their
 * sticky headers (a scrolling box would end them).
 */
const narrowScreens: SxProps<Theme> = (theme) => ({
  // A long title (a ticket's subject) ends in "…" before the app bar's buttons, never under them.
  '& #react-admin-title': { minWidth: 0, overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' },
  [theme.breakpoints.down('sm')]: {
    [`& .${WIDE_ONLY}`]: { display: 'none' },
    // A card's wide action (a row of toggle buttons) goes under its title instead of squeezing it.
    '& .MuiCardHeader-root:has(> .MuiCardHeader-action .MuiToggleButtonGroup-root)': { flexWrap: 'wrap', rowGap: 1 },
    '& .MuiCardHeader-root:has(> .MuiCardHeader-action .MuiToggleButtonGroup-root) > .MuiCardHeader-content': { flexBasis: '100%' },
  },
  [theme.breakpoints.down('md')]: {
    minWidth: 0,
    // Flex items grow to their content unless allowed to shrink (min-width: 0), all the way down.
    '& .RaLayout-content, & .RaList-root, & .RaList-main, & .RaList-content, & .RaDatagrid-root, & .RaDataTable-root': { minWidth: 0, maxWidth: '100%' },
    '& .RaDataTable-tableWrapper, & .RaDatagrid-tableWrapper, & .MuiTableContainer-root': { overflowX: 'auto' },
    '& .MuiCard-root:has(> table), & .MuiPaper-root:has(> .MuiTable-root)': { overflowX: 'auto' },
  },
});

/**
 * The class of a column that can go on a phone (a secondary detail: phone number, IP address):
 * hidden below 600 px so the rows stay readable. On a column's header and cells
 * (`headerClassName` and `cellClassName`), or on any element.
 */
export const WIDE_ONLY = 'bw-wide-only';

/** A session ended elsewhere (sign out everywhere, suspension) sends this page to sign-in. */
export function SessionWatch() {
  const checkAuth = useCheckAuth();
  useEffect(() => {
    const timer = setInterval(() => void checkAuth({}, true).catch(() => undefined), 15_000);
    return () => clearInterval(timer);
  }, [checkAuth]);
  return null;
}
