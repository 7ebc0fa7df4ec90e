import type { ComponentType } from 'react';
import type {
  CreateParams,
  CreateResult,
  DeleteParams,
  DeleteResult,
  GetListParams,
  GetListResult,
  GetManyParams,
  GetManyResult,
  GetOneParams,
  GetOneResult,
  UpdateParams,
  UpdateResult,
} from 'react-admin';

/** A permission as the API names it: the GraphQL enum value, e.g. `TICKETS_READ`. */
export type PermissionName = string;

/** The DataProvider methods one resource supports; calls to others are refused. */
export interface ResourceData {
  getList?(resource: string, params: GetListParams): Promise<GetListResult>;
  getOne?(resource: string, params: GetOneParams): Promise<GetOneResult>;
  getMany?(resource: string, params: GetManyParams): Promise<GetManyResult>;
  create?(resource: string, params: CreateParams): Promise<CreateResult>;
  update?(resource: string, params: UpdateParams): Promise<UpdateResult>;
  delete?(resource: string, params: DeleteParams): Promise<DeleteResult>;
}

export type ResourceAction = 'list' | 'show' | 'create' | 'edit' | 'delete';

/**
 * A react-admin resource plus what it needs: the data provider methods for it and the
 * permission each action requires. The console only hides; the server decides.
 */
export interface ConsoleResource {
  name: string;
  label: string;
  icon?: ComponentType;
  list?: ComponentType;
  show?: ComponentType;
  create?: ComponentType;
  edit?: ComponentType;
  recordRepresentation?: string | ((record: Record<string, unknown>) => string);
  access: Partial<Record<ResourceAction, PermissionName>>;
  data: ResourceData;
  /** Resources other screens reference (users for pickers) but that need no menu entry. */
  hideInMenu?: boolean;
}

export interface DashboardCard {
  key: string;
  permission: PermissionName;
  component: ComponentType;
}

/** A page of its own (settings, my account). `public` pages need no sign-in (reset links). */
export interface ConsolePage {
  path: string;
  component: ComponentType;
  public?: boolean;
  /** Shown in the menu for people holding `permission` (or everyone signed in, when omitted). */
  menu?: { label: string; icon?: ComponentType; permission?: PermissionName };
}

export interface ConsolePlugin {
  name: string;
  resources?: ConsoleResource[];
  pages?: ConsolePage[];
  dashboardCards?: DashboardCard[];
  /** Shown above every page for signed-in people (lockdown notice). */
  banners?: ComponentType[];
}

export function defineConsolePlugin(plugin: ConsolePlugin): ConsolePlugin {
  return plugin;
}

