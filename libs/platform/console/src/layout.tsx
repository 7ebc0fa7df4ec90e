import { useEffect } from 'react';
import { Layout, Menu, useCheckAuth, usePermissions, type LayoutProps } from 'react-admin';
import type { ConsolePlugin } from './plugin';
import { ReauthDialog } from './reauth';

/**
 * The menu is the resources (react-admin hides those `canAccess` refuses) followed by plugin
 * pages whose permission the signed-in person holds; banners sit above every page.
 */
export function buildLayout(plugins: readonly ConsolePlugin[]) {
  const pages = plugins.flatMap((p) => p.pages ?? []).filter((p) => p.menu && !p.public);
  const banners = plugins.flatMap((p) => p.banners ?? []);

  function PluginMenu() {
    const { permissions } = usePermissions<string[]>();
    return (
      <Menu>
        <Menu.DashboardItem />
        <Menu.ResourceItems />
        {pages
          .filter((p) => !p.menu?.permission || permissions?.includes(p.menu.permission))
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
function SessionWatch() {
  const checkAuth = useCheckAuth();
  useEffect(() => {
    const timer = setInterval(() => void checkAuth({}, true).catch(() => undefined), 15_000);
    return () => clearInterval(timer);
  }, [checkAuth]);
  return null;
}
