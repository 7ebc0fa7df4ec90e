import { describe, expect, it } from '@jest/globals';
import { allows, buildAccessRules } from './access';
import { Permission } from './generated/api';
import type { ConsolePlugin } from './plugin';

const Nothing = () => null;
const plugins: ConsolePlugin[] = [
  {
    name: 'tickets',
    resources: [{ name: 'tickets', label: 'Tickets', access: { list: Permission.TICKETS_READ, export: Permission.TICKETS_EXPORT }, data: {} }],
    pages: [
      { path: 'account', component: Nothing },
      { path: 'network', component: Nothing, access: { list: Permission.NETWORK_MANAGE } },
      { path: 'reset-password', component: Nothing, public: true },
    ],
    dashboardCards: [{ key: 'by-status', resource: 'tickets', component: Nothing }],
  },
];

describe('console access rules', () => {
  const rules = buildAccessRules(plugins);

  it('allows an action to those holding its permission', () => {
    expect(allows(rules, [Permission.TICKETS_READ], 'tickets', 'list')).toBe(true);
    expect(allows(rules, [Permission.TICKETS_READ], 'tickets', 'export')).toBe(false);
    expect(allows(rules, [Permission.TICKETS_EXPORT], 'tickets', 'export')).toBe(true);
  });

  it('refuses undeclared actions and unknown resources (deny by default)', () => {
    expect(allows(rules, Object.values(Permission), 'tickets', 'delete')).toBe(false);
    expect(allows(rules, Object.values(Permission), 'nowhere', 'list')).toBe(false);
    expect(allows(rules, Object.values(Permission), 'reset-password', 'list')).toBe(false);
  });

  it('opens a page declared without access to everyone signed in, and gates the others', () => {
    expect(allows(rules, [], 'account', 'list')).toBe(true);
    expect(allows(rules, [], 'network', 'list')).toBe(false);
    expect(allows(rules, [Permission.NETWORK_MANAGE], 'network', 'list')).toBe(true);
  });

  it('refuses a name declared twice, and a card over something nobody may list', () => {
    expect(() => buildAccessRules([...plugins, { name: 'again', pages: [{ path: 'tickets', component: Nothing }] }])).toThrow(/declared twice/);
    expect(() => buildAccessRules([{ name: 'x', dashboardCards: [{ key: 'k', resource: 'missing', component: Nothing }] }])).toThrow(/nobody may list/);
  });
});
