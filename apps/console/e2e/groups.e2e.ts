/**
 * Ticket groups in headless Chromium, on the app as `npm start` runs it (demo tenant): the demo
 * admin makes a group "Billing" with the demo agent in it, gives a ticket to it, finds the ticket
 * with the list's group filter, and deletes the group (the ticket stays, without a group). The
 * agent sees the groups but cannot change them; the roles matrix names each role's ticket scope.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { chromiumPath, DEMO_PASSWORD, SCREENSHOTS, signInToConsole, useConsoleApp } from '../../../tools/e2e/harness';

const executable = chromiumPath();
const maybe = executable ? describe : describe.skip;
const ADMIN = 'admin@demo.bulwark.test';
const AGENT = 'agent@demo.bulwark.test';
const SUBJECT = 'Invoice shows the wrong VAT number';

maybe('ticket groups in the console', () => {
  const env = useConsoleApp(executable as string);

  /** Waits for `what`; on failure saves a screenshot named after the step, to see why. */
  async function expectOn(page: Page, step: string, what: () => Promise<unknown>) {
    try {
      await what();
    } catch (e) {
      await page.screenshot({ path: join(SCREENSHOTS, `failed-groups-${step}.png`), fullPage: true }).catch(() => undefined);
      throw e;
    }
  }

  it('makes a group, gives a ticket to it, filters the list by it and deletes it', async () => {
    const page = await signInToConsole(env.browser, env.app.url, ADMIN);
    await page.getByRole('menuitem', { name: 'Groups' }).click();
    const newGroup = page.getByRole('button', { name: 'New group' });
    await expectOn(page, 'page', () => newGroup.waitFor({ timeout: 15_000 }));
    await page.getByText('No groups yet.').waitFor();

    // "Billing", with the demo agent picked from the staff.
    await newGroup.click();
    const form = page.getByRole('dialog', { name: 'New group' });
    await form.getByRole('textbox', { name: 'Name' }).fill('Billing');
    await form.getByRole('combobox', { name: 'Members' }).fill('Alan');
    await page.getByRole('option', { name: /Alan Agent/ }).click();
    // requesters cannot be members, so they are not offered
    await form.getByRole('combobox', { name: 'Members' }).fill('Rita');
    await page.getByText('No options').waitFor();
    await form.getByRole('combobox', { name: 'Members' }).fill('');
    await page.keyboard.press('Escape');
    await form.getByRole('button', { name: 'Alan Agent' }).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'groups-new.png'), animations: 'disabled' });
    await form.getByRole('button', { name: 'Create group' }).click();
    await form.waitFor({ state: 'hidden' });

    const table = page.getByRole('table', { name: 'Groups' });
    const row = table.getByRole('row', { name: /Billing/ });
    await expectOn(page, 'listed', () => row.getByText('Alan Agent').waitFor({ timeout: 15_000 }));

    // Members are replaced as a whole: the admin joins, the agent stays.
    await row.getByRole('button', { name: 'Edit Billing' }).click();
    const editForm = page.getByRole('dialog', { name: 'Edit Billing' });
    await editForm.getByRole('combobox', { name: 'Members' }).fill('Ada');
    await page.getByRole('option', { name: /Ada Admin/ }).click();
    await editForm.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    await expectOn(page, 'edited', () => row.getByText('Ada Admin').waitFor({ timeout: 15_000 }));
    expect(await row.innerText()).toContain('Alan Agent');
    await page.screenshot({ path: join(SCREENSHOTS, 'groups-list.png') });

    // A ticket given to the group, in its edit form.
    await page.getByRole('menuitem', { name: 'Tickets' }).click();
    await page.locator('tbody tr').first().waitFor();
    const search = page.getByRole('textbox', { name: 'Search tickets' });
    await search.fill('VAT');
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 3, undefined, { timeout: 15_000 });
    await page.locator('tbody tr').first().click();
    await page.waitForURL(/\/tickets\/[0-9a-f-]{36}\/show$/);
    const showUrl = page.url();
    // The group in the ticket's side panel, saved as soon as it is chosen.
    const group = page.locator('#ticket-group');
    await expectOn(page, 'ticket-page', () => group.click({ timeout: 15_000 }));
    await page.getByRole('option', { name: 'Billing' }).click();
    await expectOn(page, 'ticket-group', () => page.getByText('Given to the group Billing').waitFor({ timeout: 15_000 }));
    await page.screenshot({ path: join(SCREENSHOTS, 'groups-ticket-edit.png'), animations: 'disabled' });
    expect(await group.innerText()).toBe('Billing');
    await page.screenshot({ path: join(SCREENSHOTS, 'groups-ticket-show.png'), fullPage: true });

    // The list filtered by the group: exactly that ticket, its Group column naming it.
    await page.getByRole('menuitem', { name: 'Tickets' }).click();
    await search.fill('');
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 25, undefined, { timeout: 15_000 });
    await page.getByRole('columnheader', { name: 'Group' }).waitFor();
    await page.getByRole('button', { name: 'Filters' }).click();
    await page.locator('#filter-group').click();
    await page.getByRole('option', { name: 'Billing' }).click();
    await expectOn(page, 'filtered', () => page.getByText('1-1 of 1').waitFor({ timeout: 15_000 }));
    const only = page.locator('tbody tr');
    expect(await only.count()).toBe(1);
    expect(await only.innerText()).toContain(SUBJECT);
    expect(await only.innerText()).toContain('Billing');
    await page.screenshot({ path: join(SCREENSHOTS, 'groups-ticket-list-filtered.png') });

    // The agent sees the group (read only).
    const agent = await signInToConsole(env.browser, env.app.url, AGENT);
    await agent.getByRole('menuitem', { name: 'Groups' }).click();
    await expectOn(agent, 'agent', () => agent.getByRole('table', { name: 'Groups' }).getByRole('row', { name: /Billing/ }).getByText('Alan Agent').waitFor({ timeout: 15_000 }));
    await agent.getByRole('row', { name: /Billing/ }).getByText('Ada Admin').waitFor();
    await agent.getByText('changing them needs the “manage groups” permission').waitFor();
    expect(await agent.getByRole('button', { name: 'New group' }).count()).toBe(0);
    expect(await agent.getByRole('button', { name: 'Delete Billing' }).count()).toBe(0);
    await agent.screenshot({ path: join(SCREENSHOTS, 'groups-agent-read-only.png') });
    await agent.context().close();

    // Deleted after a confirmation; the ticket stays, without a group.
    await page.getByRole('menuitem', { name: 'Groups' }).click();
    await page.getByRole('button', { name: 'Delete Billing' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete the group Billing?' });
    await confirm.getByText('Its tickets stay, without a group').waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'groups-delete-confirm.png'), animations: 'disabled' });
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await expectOn(page, 'deleted', () => page.getByText('No groups yet.').waitFor({ timeout: 15_000 }));
    await page.getByRole('dialog').waitFor({ state: 'hidden' }); // faded out
    await page.screenshot({ path: join(SCREENSHOTS, 'groups-deleted.png') });
    await page.goto(showUrl);
    // (read again from the server: the page first shows what it had, the deleted group)
    await expectOn(page, 'ungrouped', () => page.locator('#ticket-group').getByText('No group', { exact: true }).waitFor({ timeout: 15_000 }));
    await page.context().close();
  }, 180_000);

  it('names the ticket scope of each role in the roles matrix', async () => {
    const page = await signInToConsole(env.browser, env.app.url, ADMIN);
    await page.getByRole('menuitem', { name: 'Roles' }).click();
    const header = (name: string) => page.getByRole('columnheader', { name: new RegExp(`^${name}`) });
    await expectOn(page, 'roles', () => header('Agent').getByText('Sees every ticket').waitFor({ timeout: 15_000 }));
    await header('Requester').getByText('Sees own tickets').waitFor();

    // A custom role that reads tickets with the group scope.
    await page.getByLabel('New role name').fill('Billing desk');
    await page.getByRole('button', { name: 'Create role' }).click();
    const reauth = page.getByRole('dialog', { name: 'Confirm it is you' });
    await expectOn(page, 'reauth', () => reauth.waitFor({ timeout: 15_000 }));
    await reauth.getByLabel('Your password').fill(DEMO_PASSWORD);
    await reauth.getByRole('button', { name: 'Confirm' }).click();
    await expectOn(page, 'custom-role', () => header('Billing desk').getByText('Sees own tickets').waitFor({ timeout: 15_000 }));
    await page.getByRole('checkbox', { name: 'Billing desk: Open tickets one can see' }).check();
    await header('Billing desk').getByText('Sees own tickets').waitFor();
    await page.getByRole('checkbox', { name: /^Billing desk: See the tickets of one's groups too/ }).check();
    await expectOn(page, 'group-scope', () => header('Billing desk').getByText('Sees its groups’ tickets').waitFor({ timeout: 15_000 }));
    await page.screenshot({ path: join(SCREENSHOTS, 'groups-roles-scope.png') });
    await page.context().close();
  }, 120_000);
});
