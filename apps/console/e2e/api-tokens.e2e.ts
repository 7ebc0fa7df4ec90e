/**
 * API tokens in headless Chromium, on the app as `npm start` runs it (demo tenant): the demo admin
 * creates a token scoped to reading tickets (confirming the password), reads it from the one-time
 * dialog, and the test process calls the API with it: tickets answer, people are FORBIDDEN. The
 * admin revokes it in the page and the API then answers UNAUTHENTICATED.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { chromiumPath, DEMO_PASSWORD, SCREENSHOTS, signInToConsole, useConsoleApp } from '../../../tools/e2e/harness';

const executable = chromiumPath();
const maybe = executable ? describe : describe.skip;
const ADMIN = 'admin@demo.bulwark.test';

maybe('API tokens in the console', () => {
  const env = useConsoleApp(executable as string);

  /** Waits for `what`; on failure saves a screenshot named after the step, to see why. */
  async function expectOn(page: Page, step: string, what: () => Promise<unknown>) {
    try {
      await what();
    } catch (e) {
      await page.screenshot({ path: join(SCREENSHOTS, `failed-api-tokens-${step}.png`), fullPage: true }).catch(() => undefined);
      throw e;
    }
  }

  /** GraphQL as an integration would call it: the token in the Authorization header, no cookie. */
  const withToken = async (token: string, query: string) => {
    const res = await fetch(`${env.app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query }),
    });
    return (await res.json()) as { data?: Record<string, { totalCount: number }> | null; errors?: { extensions?: { code?: string } }[] };
  };

  it('creates a scoped token shown once, which the API honours within its scope until it is revoked', async () => {
    const page = await signInToConsole(env.browser, env.app.url, ADMIN);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: env.app.url });
    await page.getByRole('menuitem', { name: 'API tokens' }).click();
    const newToken = page.getByRole('button', { name: 'New token' });
    await expectOn(page, 'page', () => newToken.waitFor({ timeout: 15_000 }));

    // A small scope: reading tickets (all of them), for 30 days.
    await newToken.click();
    const form = page.getByRole('dialog', { name: 'New API token' });
    await form.getByRole('textbox', { name: 'Name' }).fill('Ticket report');
    await form.getByRole('checkbox', { name: /TICKETS_READ$/ }).check();
    await form.getByRole('checkbox', { name: /TICKETS_VIEW_ALL$/ }).check();
    await form.getByRole('combobox', { name: 'Expires after' }).click();
    await page.getByRole('option', { name: '30 days' }).click();
    await page.screenshot({ path: join(SCREENSHOTS, 'api-tokens-new.png'), animations: 'disabled' });
    await form.getByRole('button', { name: 'Create token' }).click();

    // Creating one needs a fresh password confirmation (the sign-in alone is not one).
    const reauth = page.getByRole('dialog', { name: 'Confirm it is you' });
    await expectOn(page, 'reauth', () => reauth.waitFor({ timeout: 15_000 }));
    await reauth.getByLabel('Your password').fill(DEMO_PASSWORD);
    await reauth.getByRole('button', { name: 'Confirm' }).click();

    // Shown this once, with a way to copy it and how to send it.
    const shown = page.getByRole('dialog', { name: 'Your new API token' });
    await expectOn(page, 'shown', () => shown.waitFor({ timeout: 15_000 }));
    const token = (await shown.getByTestId('api-token').innerText()).trim();
    expect(token).toMatch(/^bwt_\S{20,}$/);
    await shown.getByText('it will not be shown again').waitFor();
    await shown.getByText('Authorization: Bearer <token>').waitFor();
    await shown.getByRole('button', { name: 'Copy the token' }).click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);
    await page.screenshot({ path: join(SCREENSHOTS, 'api-tokens-shown-once.png'), animations: 'disabled' });
    await shown.getByRole('button', { name: 'I have copied it' }).click();
    await shown.waitFor({ state: 'hidden' });

    const table = page.getByRole('table', { name: 'API tokens' });
    const row = table.getByRole('row', { name: /Ticket report/ });
    await expectOn(page, 'listed', () => row.getByText('Active').waitFor({ timeout: 15_000 }));
    expect(await row.innerText()).toContain('TICKETS_VIEW_ALL');
    expect(await table.innerText()).not.toContain(token); // never listed again
    await page.screenshot({ path: join(SCREENSHOTS, 'api-tokens-list.png') });

    // The API, called as an integration: within the scope it answers, outside it refuses.
    const tickets = await withToken(token, '{ tickets { totalCount } }');
    expect(tickets.errors).toBeUndefined();
    expect(tickets.data?.tickets.totalCount).toBeGreaterThan(0);
    const people = await withToken(token, '{ users { totalCount } }');
    expect(people.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    // Revoked in the page (after a confirmation): it stops working at once.
    await row.getByRole('button', { name: 'Revoke Ticket report' }).click();
    const confirm = page.getByRole('dialog', { name: 'Revoke the token Ticket report?' });
    await confirm.getByRole('button', { name: 'Revoke' }).click();
    await expectOn(page, 'revoked', () => row.getByText('Revoked').waitFor({ timeout: 15_000 }));
    expect(await row.getByRole('button', { name: 'Revoke Ticket report' }).count()).toBe(0);
    expect(await row.innerText()).toContain('127.0.0.1'); // last used from the test process
    await page.screenshot({ path: join(SCREENSHOTS, 'api-tokens-revoked.png') });

    const after = await withToken(token, '{ tickets { totalCount } }');
    expect(after.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    await page.context().close();
  }, 120_000);
});
