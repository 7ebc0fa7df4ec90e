import type { I18nProvider, TranslationMessages } from 'react-admin';
import polyglotI18nProvider from 'ra-i18n-polyglot';
import englishMessages from 'ra-language-english';
import type { ConsolePlugin, ConsoleResource } from './plugin';

/**
 * react-admin's own English ("Element created", "Create Tickets", "No Tickets yet. Do you want to
 * add one?") reads like a framework talking. These are the sentences a person reads instead; keys
 * not listed keep react-admin's words, which are fine as they are ("Cancel", "Yes").
 */
const ours = {
  action: {
    back: 'Back',
    create: 'New',
    create_item: 'New %{item}',
    clear_input_value: 'Clear',
    remove_filter: 'Remove this filter',
    show: 'Open',
    list: 'Back to the list',
    export: 'Export',
    bulk_actions: '1 selected |||| %{smart_count} selected',
    select_columns: 'Columns',
    toggle_theme: 'Light or dark',
    update_application: 'Reload the page',
    open_menu: 'Open the menu',
    close_menu: 'Close the menu',
  },
  boolean: { null: '—' },
  page: {
    create: 'New %{name}',
    edit: 'Edit %{recordRepresentation}',
    show: '%{recordRepresentation}',
    list: '%{name}',
    error: 'Something went wrong',
    loading: 'Loading…',
    not_found: 'Page not found',
    empty: 'No %{name} yet',
    invite: 'Create the first one with the button below.',
    access_denied: 'Not available to you',
    authentication_error: 'Could not check who you are',
  },
  input: {
    references: {
      all_missing: 'These could not be loaded.',
      many_missing: 'Some of these no longer exist.',
      single_missing: 'This no longer exists.',
    },
  },
  message: {
    about: 'About',
    access_denied: 'Your role does not include this page. An administrator of your workspace can change your role.',
    are_you_sure: 'Are you sure?',
    authentication_error: 'Bulwark could not check who you are. Sign in again.',
    auth_error: 'Bulwark could not check who you are. Sign in again.',
    bulk_delete_content: 'Delete this %{name}? |||| Delete these %{smart_count} items?',
    bulk_delete_title: 'Delete %{name} |||| Delete %{smart_count} %{name}',
    delete_content: 'Delete this %{name}? This cannot be undone.',
    delete_title: 'Delete %{recordRepresentation}?',
    details: 'Details',
    error: 'Something went wrong and the request was not completed. Try again.',
    invalid_form: 'Some fields need a change: see the notes under them.',
    loading: 'Loading…',
    not_found: 'There is nothing at this address. Check the link, or use the menu.',
    unsaved_changes: 'You have changes that are not saved. Leave without saving them?',
    placeholder_data_warning: 'Could not refresh: what you see may be out of date.',
  },
  navigation: {
    clear_filters: 'Clear the filters',
    // react-admin names the resource here capitalised ("No Deliveries found"): said without it.
    no_filtered_results: 'Nothing matches these filters.',
    no_results: 'Nothing here yet',
    no_more_results: 'There is no page %{page}. Try the previous page.',
    page_out_of_boundaries: 'There is no page %{page}',
    page_out_from_end: 'This is the last page',
    page_out_from_begin: 'This is the first page',
    current_page: 'Page %{page}',
    page: 'Page %{page}',
    first: 'First page',
    last: 'Last page',
    next: 'Next page',
    previous: 'Previous page',
    page_rows_per_page: 'Per page:',
    skip_nav: 'Skip to the page',
  },
  sort: { sort_by: 'Sort by %{field_lower_first}, %{order}' },
  auth: {
    auth_check_error: 'Sign in to continue',
    user_menu: 'Your account',
    username: 'Email',
    sign_in_error: 'Sign-in did not work. Check your details and try again.',
    logout: 'Sign out',
  },
  notification: {
    updated: 'Saved |||| %{smart_count} saved',
    created: 'Saved',
    deleted: 'Deleted |||| %{smart_count} deleted',
    bad_item: 'This cannot be shown',
    item_doesnt_exist: 'This no longer exists',
    http_error: 'Bulwark could not be reached. Check your connection and try again.',
    data_provider_error: 'Something went wrong. Try again.',
    i18n_error: 'The words of this page could not be loaded',
    canceled: 'Undone',
    logged_out: 'Your session has ended. Sign in again to continue.',
    not_authorized: 'Your role does not include this.',
    application_update_available: 'A new version of Bulwark is available.',
    offline: 'You are offline: nothing could be loaded.',
  },
  validation: {
    required: 'Please fill this in',
    minLength: 'At least %{min} characters',
    maxLength: 'At most %{max} characters',
    minValue: 'At least %{min}',
    maxValue: 'At most %{max}',
    number: 'Enter a number',
    email: 'Enter an email address, like name@example.com',
    oneOf: 'Choose one of: %{options}',
    regex: 'This is not in the expected form',
    unique: 'This is already taken',
  },
};

/**
 * Per resource, from its plugin's labels: the menu and list title say "Tickets", a new one is
 * "New ticket", a saved one "Ticket saved", an empty list "No tickets yet".
 */
export function resourceMessages(r: Pick<ConsoleResource, 'name' | 'label' | 'labelSingular'>) {
  const one = r.labelSingular ?? r.label;
  const lower = (s: string) => (/^[A-Z][a-z]/.test(s) ? s.charAt(0).toLowerCase() + s.slice(1) : s);
  return {
    name: `${one} |||| ${r.label}`,
    forcedCaseName: `${lower(one)} |||| ${lower(r.label)}`,
    empty: `No ${lower(r.label)} yet`,
    page: {
      list: r.label,
      create: `New ${lower(one)}`,
      edit: `Edit ${lower(one)}: %{recordRepresentation}`,
      show: `${one}: %{recordRepresentation}`,
    },
    action: { create: `New ${lower(one)}` },
    message: {
      delete_title: `Delete this ${lower(one)}?`,
      delete_content: '“%{recordRepresentation}” will be deleted. This cannot be undone.',
    },
    notifications: {
      created: `${one} saved`,
      updated: `${one} saved |||| %{smart_count} saved`,
      deleted: `${one} deleted |||| %{smart_count} deleted`,
    },
  };
}

type Tree = { [key: string]: string | Tree };
function merge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = typeof v === 'object' && typeof base[k] === 'object' ? merge(base[k] as Tree, v) : v;
  return out;
}

export function buildMessages(plugins: readonly ConsolePlugin[]): TranslationMessages {
  const resources = Object.fromEntries(plugins.flatMap((p) => (p.resources ?? []).map((r) => [r.name, resourceMessages(r)])));
  return { ...merge(englishMessages as unknown as Tree, { ra: ours } as unknown as Tree), resources } as unknown as TranslationMessages;
}

/**
 * English only, for now. `allowMissing`: the console passes its own words as labels ("Subject"),
 * which are no keys and are shown as they are, without a warning each.
 */
export function buildI18nProvider(plugins: readonly ConsolePlugin[]): I18nProvider {
  return polyglotI18nProvider(() => buildMessages(plugins), 'en', [{ locale: 'en', name: 'English' }], { allowMissing: true });
}
