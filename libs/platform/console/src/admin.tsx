import { Admin, CanAccess, CustomRoutes, defaultDarkTheme, defaultLightTheme, Resource, type RaThemeOptions } from 'react-admin';
import { Route } from 'react-router-dom';
import { useMemo } from 'react';
import { AccessDenied, NotFound } from './access-denied';
import { buildAuthProvider } from './auth-provider';
import { buildDashboard } from './dashboard';
import { buildDataProvider } from './data-provider';
import { DocumentTitle } from './document-title';
import { buildI18nProvider } from './i18n';
import { buildLayout } from './layout';
import { LoginPage } from './login.page';
import type { ConsolePlugin } from './plugin';
import { buildAudienceLayout } from './portal';

/** The pagination's arrows in the same words as on wide screens (react-admin leaves MUI's "Go to next page" on phones). */
const PAGE_ARROWS: Record<string, string> = { first: 'First page', last: 'Last page', next: 'Next page', previous: 'Previous page' };
const withOurWords = (theme: RaThemeOptions): RaThemeOptions => ({
  ...theme,
  components: { ...theme.components, MuiTablePagination: { defaultProps: { getItemAriaLabel: (type: string) => PAGE_ARROWS[type] ?? type } } },
});
const lightTheme = withOurWords(defaultLightTheme);
const darkTheme = withOurWords(defaultDarkTheme);

/**
 * The whole console from a plugin list: resources, menu (react-admin builds it from the
 * resources, hiding those `canAccess` refuses), dashboard cards, data and auth providers; and for
 * requesters, the portal the plugins contribute instead (portal.tsx).
 */
export function BulwarkAdmin({ plugins }: { plugins: readonly ConsolePlugin[] }) {
  const { dataProvider, authProvider, i18nProvider, Dashboard, PluginLayout } = useMemo(
    () => ({
      dataProvider: buildDataProvider(plugins),
      i18nProvider: buildI18nProvider(plugins),
      authProvider: buildAuthProvider(plugins),
      Dashboard: buildDashboard(plugins),
      PluginLayout: buildAudienceLayout(plugins, buildLayout(plugins)),
    }),
    [plugins],
  );
  const pages = plugins.flatMap((p) => p.pages ?? []);
  return (
    <>
      <DocumentTitle />
      <Admin
        title="Bulwark"
        dataProvider={dataProvider}
        authProvider={authProvider}
        i18nProvider={i18nProvider}
        theme={lightTheme}
        darkTheme={darkTheme}
        loginPage={LoginPage}
        dashboard={Dashboard}
        layout={PluginLayout}
        accessDenied={AccessDenied}
        catchAll={NotFound}
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
    </>
  );
}
