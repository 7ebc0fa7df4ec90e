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
import type { Permission } from './generated/api';

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
 * The permission each action needs, asked through react-admin's `canAccess` (`useCanAccess`,
 * `<CanAccess>`, and react-admin's own menu, routes and buttons): its actions (list, show, create,
 * edit, delete) and the screen's own (`export`, `manage`, `comment`...). An action not listed is
 * refused, like the server's deny by default.
 */
export type AccessMap = Partial<Record<ResourceAction, Permission>> & { readonly [action: string]: Permission | undefined };

/**
 * A react-admin resource plus what it needs: the data provider methods for it and the
 * permission each action requires. The console only hides; the server decides.
 */
export interface ConsoleResource {
  name: string;
  /** What the menu and the list call them: "Tickets". */
  label: string;
  /** One of them, for "New ticket" and "Ticket saved"; `label` when the same ("Audit log"). */
  labelSingular?: string;
  icon?: ComponentType;
  list?: ComponentType;
  show?: ComponentType;
  create?: ComponentType;
  edit?: ComponentType;
  recordRepresentation?: string | ((record: Record<string, unknown>) => string);
  access: AccessMap;
  data: ResourceData;
  /** Resources other screens reference (users for pickers) but that need no menu entry. */
  hideInMenu?: boolean;
}

/** A summary of a resource or page, shown to those who may open it (`list`). */
export interface DashboardCard {
  key: string;
  /** The resource or page it summarises. */
  resource: string;
  component: ComponentType;
}

/** A page of its own (settings, my account). `public` pages need no sign-in (reset links). */
export interface ConsolePage {
  path: string;
  component: ComponentType;
  public?: boolean;
  /**
   * As a resource's, under the page's path: `list` opens the page (and shows it in the menu).
   * Without `access`, everyone signed in may open it.
   */
  access?: AccessMap;
  menu?: { label: string; icon?: ComponentType };
}

/**
 * A page of the requesters' portal, at `#/<path>` (react-router params allowed: `requests/:number`).
 * `nav: 'main'` puts it in the portal's header, `nav: 'account'` in the person's own menu.
 */
export interface PortalPage {
  path: string;
  component: ComponentType;
  nav?: 'main' | 'account';
  /** The link's words in the header or menu. */
  label?: string;
  /** The page the portal opens on (at sign-in, and for any address the portal has no page for). */
  home?: boolean;
}

/**
 * What a plugin gives the requesters' portal: its pages, and the permissions those pages serve.
 * People whose every permission is served by the portal (requesters, and custom roles made like
 * them) get the portal instead of the console; anyone holding more gets the console.
 */
export interface ConsolePortal {
  serves?: Permission[];
  pages: PortalPage[];
}

export interface ConsolePlugin {
  name: string;
  resources?: ConsoleResource[];
  pages?: ConsolePage[];
  dashboardCards?: DashboardCard[];
  /** Shown above every page for signed-in people (lockdown notice), in the console and the portal. */
  banners?: ComponentType[];
  portal?: ConsolePortal;
}

export function defineConsolePlugin(plugin: ConsolePlugin): ConsolePlugin {
  return plugin;
}

