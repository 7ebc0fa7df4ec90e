export { BulwarkAdmin } from './admin';
export { buildAuthProvider, type Me } from './auth-provider';
export { buildDataProvider } from './data-provider';
export { gql, GraphQLRequestError } from './graphql';
export { defineConsolePlugin, type ConsolePage, type ConsolePlugin, type ConsoleResource, type DashboardCard, type PermissionName } from './plugin';
export { LoginPage } from './login-page';
export { withReauth } from './reauth';
export { downloadOnce } from './download';
export { OneTimeSecretDialog } from './one-time-secret';
