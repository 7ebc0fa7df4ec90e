import { useEffect } from 'react';
import { Layout, Menu, useCanAccessResources, useCheckAuth, type LayoutProps } from 'react-admin';
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
      <Layout {...rest} menu={PluginMenu}>
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

/** A session ended elsewhere (sign out everywhere, suspension) sends this page to sign-in. */
export function SessionWatch() {
  const checkAuth = useCheckAuth();
  useEffect(() => {
    const timer = setInterval(() => void checkAuth({}, true).catch(() => undefined), 15_000);
    return () => clearInterval(timer);
  }, [checkAuth]);
  return null;
}
