export { BulwarkAdmin } from './admin';
export { buildAuthProvider, type Me } from './auth-provider';
export { buildDataProvider } from './data-provider';
export { gql, GraphQLRequestError } from './graphql';
export { usePolled } from './use-polled';
export { heldPermissionChoices } from './permission-choices';
export { defineConsolePlugin, type ConsolePage, type ConsolePlugin, type ConsoleResource, type DashboardCard, type AccessMap } from './plugin';
export { Permission } from './generated/api';
// The schema's types, as `Api.Ticket`, `Api.Query['roles']`: generated, so they follow the server.
export type * as Api from './generated/api';
export { LoginPage } from './login.page';
export { withReauth } from './reauth';
export { useFormSave } from './use-form-save';
export { downloadOnce } from './download';
export { ExportButton, type ExportFormat } from './export-button';
export { OneTimeSecretDialog } from './one-time-secret';
export { ConfirmAction } from './confirm-action';
export { Loaded, RecordListPage, RecordTable } from './record-list';
export { AccessDenied } from './access-denied';
