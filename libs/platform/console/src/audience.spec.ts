import { describe, expect, it } from '@jest/globals';
import { usesPortal } from './audience';
import { Permission } from './generated/api';
import type { ConsolePlugin } from './plugin';

const Nothing = () => null;
const REQUESTER = [Permission.TICKETS_READ, Permission.TICKETS_CREATE, Permission.TICKETS_COMMENT];
const plugins: ConsolePlugin[] = [
  { name: 'tickets', portal: { serves: REQUESTER, pages: [{ path: 'requests', component: Nothing, home: true }] } },
  { name: 'identity', portal: { pages: [{ path: 'account', component: Nothing, nav: 'account' }] } },
];

describe('who gets the portal instead of the console', () => {
  it('people whose every permission the portal serves: requesters, and custom roles made like them', () => {
    expect(usesPortal(plugins, { role: 'requester', permissions: REQUESTER })).toBe(true);
    expect(usesPortal(plugins, { role: 'customers', permissions: [Permission.TICKETS_READ] })).toBe(true);
  });

  it('anyone holding one permission more gets the console, whatever the role is called', () => {
    expect(usesPortal(plugins, { role: 'agent', permissions: [...REQUESTER, Permission.TICKETS_UPDATE, Permission.USERS_READ] })).toBe(false);
    expect(usesPortal(plugins, { role: 'auditor', permissions: [Permission.TICKETS_READ, Permission.AUDIT_READ] })).toBe(false);
    expect(usesPortal(plugins, { role: 'requester', permissions: [...REQUESTER, Permission.TICKETS_VIEW_ALL] })).toBe(false);
  });

  it('a session restricted to its own account (no permissions yet) goes by its role', () => {
    expect(usesPortal(plugins, { role: 'requester', permissions: [] })).toBe(true);
    expect(usesPortal(plugins, { role: 'admin', permissions: [] })).toBe(false);
  });

  it('no plugin with a portal: everyone gets the console', () => {
    expect(usesPortal([{ name: 'tickets', resources: [] }], { role: 'requester', permissions: REQUESTER })).toBe(false);
  });
});
