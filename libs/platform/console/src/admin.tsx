import { Admin, CanAccess, CustomRoutes, Resource } from 'react-admin';
import { Route } from 'react-router-dom';
import { useMemo } from 'react';
import { AccessDenied } from './access-denied';
import { buildAuthProvider } from './auth-provider';
import { buildDashboard } from './dashboard';
import { buildDataProvider } from './data-provider';
import { buildLayout } from './layout';
import { LoginPage } from './login.page';
import type { ConsolePlugin } from './plugin';
import { buildAudienceLayout } from './portal';

/**
 * The whole console from a plugin list: resources, menu (react-admin builds it from the
 * resources, hiding those `canAccess` refuses), dashboard cards, data and auth providers; and for
 * requesters, the portal the plugins contribute instead (portal.tsx).
 */
export function BulwarkAdmin({ plugins }: { plugins: readonly ConsolePlugin[] }) {
  const { dataProvider, authProvider, Dashboard, PluginLayout } = useMemo(
    () => ({
      dataProvider: buildDataProvider(plugins),
      authProvider: buildAuthProvider(plugins),
      Dashboard: buildDashboard(plugins),
      PluginLayout: buildAudienceLayout(plugins, buildLayout(plugins)),
    }),
    [plugins],
  );
  const pages = plugins.flatMap((p) => p.pages ?? []);
  return (
    <Admin
      title="Bulwark"
      dataProvider={dataProvider}
      authProvider={authProvider}
      loginPage={LoginPage}
      dashboard={Dashboard}
      layout={PluginLayout}
      accessDenied={AccessDenied}
      requireAuth
      disableTelemetry
    >
      <CustomRoutes>
        {pages.filter((p) => !p.public).map((p) => (
          <Route
            key={p.path}
            path={`/${p.path}`}
            element={
              <CanAccess resource={p.path} action="list" accessDenied={<AccessDenied />}>
                <p.component />
              </CanAccess>
            }
          />
        ))}
      </CustomRoutes>
      <CustomRoutes noLayout>
        {pages.filter((p) => p.public).map((p) => (
          <Route key={p.path} path={`/${p.path}`} element={<p.component />} />
        ))}
      </CustomRoutes>
      {plugins.flatMap((p) =>
        (p.resources ?? []).map((r) => (
          <Resource
            key={r.name}
            name={r.name}
            options={{ label: r.label }}
            icon={r.icon}
            list={r.hideInMenu ? undefined : r.list}
            show={r.show}
            create={r.create}
            edit={r.edit}
            recordRepresentation={r.recordRepresentation as never}
          />
        )),
      )}
    </Admin>
  );
}
