import { describe, expect, it } from '@jest/globals';
import englishMessages from 'ra-language-english';
import { buildMessages, resourceMessages } from './i18n';

type Tree = { [key: string]: string | Tree };
const leaves = (t: Tree, prefix = ''): [string, string][] =>
  Object.entries(t).flatMap(([k, v]) => (typeof v === 'string' ? [[`${prefix}${k}`, v] as [string, string]] : leaves(v, `${prefix}${k}.`)));

describe('the console’s words instead of react-admin’s', () => {
  const plugins = [{ name: 'tickets', resources: [{ name: 'tickets', label: 'Tickets', labelSingular: 'Ticket', access: {}, data: {} }] }];
  const messages = buildMessages(plugins) as unknown as Tree;

  it('has every key react-admin asks for, and none of its framework phrases', () => {
    const ours = new Map(leaves(messages));
    for (const [key] of leaves(englishMessages as unknown as Tree)) expect(ours.has(key)).toBe(true);
    const shown = [...ours.values()].join('\n');
    expect(shown).not.toMatch(/Element (created|updated|deleted)|Do you want to add one|dataProvider error|^Required$/m);
  });
  it('names a resource in the singular where there is one of it', () => {
    expect(resourceMessages({ name: 'tickets', label: 'Tickets', labelSingular: 'Ticket' })).toMatchObject({
      name: 'Ticket |||| Tickets',
      empty: 'No tickets yet',
      page: { create: 'New ticket', list: 'Tickets' },
      action: { create: 'New ticket' },
      notifications: { created: 'Ticket saved' },
    });
    // Names that are not plain words keep their capitals ("API tokens", not "aPI tokens").
    expect(resourceMessages({ name: 'api-tokens', label: 'API tokens', labelSingular: 'API token' }).page.create).toBe('New API token');
  });
});
