import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromiumPath, downloadAfterPassword, SCREENSHOTS, signInToConsole, signInToPortal, useConsoleApp } from '../../../tools/e2e/harness';

const executable = chromiumPath();
const maybe = executable ? describe : describe.skip;
if (!executable) {
  process.stderr.write('\n[console e2e] SKIPPED: no Chromium found (apt-get install chromium, or set CHROMIUM_PATH)\n');
}

maybe('console in headless Chromium, on the app as `npm start` runs it', () => {
  const env = useConsoleApp(executable as string);

  const signIn = (email: string) => signInToConsole(env.browser, env.app.url, email);

  it('signs the demo admin in and shows the ticket list', async () => {
    const page = await signIn('admin@demo.bulwark.test');
    await page.screenshot({ path: join(SCREENSHOTS, 'console-dashboard.png') });
    await expect(page.getByText('Tickets by status')).toBeTruthy();
    await page.getByRole('menuitem', { name: 'Tickets' }).click();
    const rows = page.locator('tbody tr');
    await rows.first().waitFor({ timeout: 30_000 });
    expect(await rows.count()).toBe(25); // a full first page of the 36 demo tickets
    await expect(page.getByText('Cannot sign in after password change').first().isVisible()).resolves.toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'console-tickets.png'), fullPage: true });
    // the session is an HttpOnly cookie the page's scripts cannot read
    expect(await page.evaluate(() => document.cookie)).toBe('');
    expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toMatch(/bws_/);
    await page.context().close();
  });

  it('filters, creates, shows and edits a ticket', async () => {
    const page = await signIn('agent@demo.bulwark.test');
    await page.getByRole('menuitem', { name: 'Tickets' }).click();
    await page.locator('tbody tr').first().waitFor();
    await page.getByPlaceholder('Search subjects').fill('VPN');
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 3, undefined, { timeout: 15_000 });
    await page.getByRole('link', { name: 'New ticket' }).click();
    await page.getByLabel('Subject *').fill('Browser-made ticket');
    await page.getByLabel('Body *').fill('Filed from the console in Chromium');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(/\/tickets\/[0-9a-f-]{36}\/show$/);
    await page.getByText('Filed from the console in Chromium').waitFor();
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.getByLabel('Subject *').fill('Browser-made ticket, edited');
    await page.getByRole('button', { name: 'Save' }).click();
    // back on the show page, which reads the ticket from the server again
    await page.waitForURL(/\/show$/);
    await page.locator('.RaSimpleShowLayout-stack').getByText('Browser-made ticket, edited').waitFor();
    await page.getByText('Agent').first().waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'console-ticket-show.png'), fullPage: true });
    await page.context().close();
  });

  it('D12 exports tickets through the server: the password first, then a file the server made', async () => {
    const page = await signIn('admin@demo.bulwark.test');
    await page.getByRole('menuitem', { name: 'Tickets' }).click();
    await page.locator('tbody tr').first().waitFor({ timeout: 30_000 });
    await page.getByPlaceholder('Search subjects').fill('VPN');
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 3, undefined, { timeout: 15_000 });
    await page.screenshot({ path: join(SCREENSHOTS, 'console-tickets-export.png') });
    // Nothing is fetched page by page into the browser: one mutation, then the one-time link.
    const graphql: string[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/graphql')) graphql.push(r.postData() ?? '');
    });
    await page.getByRole('button', { name: 'Export' }).click();
    await page.getByRole('menuitem', { name: /^CSV/ }).click();
    const download = await downloadAfterPassword(page, 'console-tickets-export-reauth');
    expect(download.url()).toMatch(/\/api\/tickets\/export\/bwe_/);
    expect(download.suggestedFilename()).toMatch(/^tickets-.*\.csv$/);
    const csv = readFileSync((await download.path())!, 'utf8').trim().split('\r\n');
    expect(csv[0]).toBe('id,number,subject,status,priority,channel,created_at,updated_at,requester_id,requester_name,requester_email,requester_phone,assignee_id,assignee_name,assignee_email,group_id,body');
    expect(csv).toHaveLength(4); // the list's filter went with it: the three VPN tickets
    expect(graphql.filter((q) => q.includes('tickets(')).length).toBe(0);
    expect(graphql.filter((q) => q.includes('exportTickets')).length).toBe(2); // refused for the password, then made
    await page.getByText('Export started').waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'console-tickets-exported.png') });
    await page.context().close();
    // Agents lack tickets.export: no Export button (the server refuses them anyway).
    const agent = await signIn('agent@demo.bulwark.test');
    await agent.getByRole('menuitem', { name: 'Tickets' }).click();
    await agent.locator('tbody tr').first().waitFor();
    await agent.getByRole('link', { name: 'New ticket' }).waitFor();
    expect(await agent.getByRole('button', { name: 'Export' }).count()).toBe(0);
    await agent.context().close();
  });

  it('builds the menu from the permissions of who is signed in', async () => {
    const admin = await signIn('admin@demo.bulwark.test');
    await expect(admin.getByRole('menuitem', { name: 'People' }).isVisible()).resolves.toBe(true);
    await admin.context().close();
    // A requester gets the portal instead (portal.e2e.ts): their own requests, no console menu.
    const requester = await signInToPortal(env.browser, env.app.url, 'requester@demo.bulwark.test');
    expect(await requester.getByRole('menuitem', { name: 'Tickets' }).count()).toBe(0);
    expect(await requester.getByRole('menuitem', { name: 'People' }).count()).toBe(0);
    await requester.getByRole('list', { name: 'Open requests' }).getByRole('link').first().waitFor();
    await requester.screenshot({ path: join(SCREENSHOTS, 'console-requester.png') });
    await requester.context().close();
  });
});
