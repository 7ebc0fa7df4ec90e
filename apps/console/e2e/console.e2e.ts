import { join } from 'node:path';
import { chromiumPath, SCREENSHOTS, signInToConsole, useConsoleApp } from '../../../tools/e2e/harness';

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
    await page.getByRole('link', { name: 'Create' }).click();
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

  it('builds the menu from the permissions of who is signed in', async () => {
    const admin = await signIn('admin@demo.bulwark.test');
    await expect(admin.getByRole('menuitem', { name: 'People' }).isVisible()).resolves.toBe(true);
    await admin.context().close();
    const requester = await signIn('requester@demo.bulwark.test');
    await requester.getByRole('menuitem', { name: 'Tickets' }).waitFor();
    expect(await requester.getByRole('menuitem', { name: 'People' }).count()).toBe(0);
    await requester.getByRole('menuitem', { name: 'Tickets' }).click();
    await requester.locator('tbody tr').first().waitFor();
    // the requester sees only their own requests (24 of the 36 demo tickets are theirs)
    await requester.getByText('1-24 of 24').waitFor();
    await requester.screenshot({ path: join(SCREENSHOTS, 'console-requester.png') });
    await requester.context().close();
  });
});
