/**
 * The spam watcher (H3) in headless Chromium, on the app as `npm start` runs it (demo tenant): the
 * demo admin lowers the rule to 3 tickets in 30 minutes (a rule out of range is refused on its
 * field first), the demo requester files 5 tickets over the API (3 filed, 2 held with
 * RATE_LIMITED), the admin finds Rita in the quarantine with her 2 held tickets and releases her,
 * and the held tickets appear in the ticket list.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { chromiumPath, DEMO_PASSWORD, SCREENSHOTS, signInToConsole, useConsoleApp } from '../../../tools/e2e/harness';

const executable = chromiumPath();
const maybe = executable ? describe : describe.skip;
const ADMIN = 'admin@demo.bulwark.test';
const REQUESTER = 'requester@demo.bulwark.test';

maybe('the spam quarantine in the console', () => {
  const env = useConsoleApp(executable as string);

  async function expectOn(page: Page, step: string, what: () => Promise<unknown>) {
    try {
      await what();
    } catch (e) {
      await page.screenshot({ path: join(SCREENSHOTS, `failed-quarantine-${step}.png`), fullPage: true }).catch(() => undefined);
      throw e;
    }
  }

  /** GraphQL as an integration would call it, with a bearer token. */
  async function api<T>(query: string, variables: Record<string, unknown>, token?: string): Promise<{ data: T | null; errors?: { message: string; extensions?: Record<string, unknown> }[] }> {
    const res = await fetch(`${env.app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return res.json() as never;
  }

  it('shows an admin the held requester, and releases her tickets into the list', async () => {
    const page = await signInToConsole(env.browser, env.app.url, ADMIN);
    await page.getByRole('menuitem', { name: 'Quarantine' }).click();
    await expectOn(page, 'page', () => page.getByText('Nobody is held.').waitFor({ timeout: 15_000 }));
    expect(await page.locator('#react-admin-title').innerText()).toContain('Spam quarantine');

    // The rules: out of range is said on the field; then 3 tickets in 30 minutes.
    const limit = page.getByRole('textbox', { name: 'Tickets per requester' });
    await limit.fill('0');
    await page.getByRole('button', { name: 'Save rules' }).click();
    await expectOn(page, 'rules-error', () => page.getByText('Choose between 1 and 1000 tickets').waitFor({ timeout: 15_000 }));
    await page.screenshot({ path: join(SCREENSHOTS, 'quarantine-rules-error.png'), fullPage: true, animations: 'disabled' });
    await limit.fill('3');
    await page.getByRole('button', { name: 'Save rules' }).click();
    await expectOn(page, 'rules-saved', () => page.getByText('Spam rules saved').waitFor({ timeout: 15_000 }));

    // An alert rule for the spam watcher, where admins configure alert rules.
    await page.getByRole('menuitem', { name: 'Security alerts' }).click();
    await page.getByRole('button', { name: 'Add rule' }).click();
    const ruleDialog = page.getByRole('dialog', { name: 'New alert rule' });
    await ruleDialog.getByLabel('Name').fill('Spam floods');
    await ruleDialog.getByLabel('When').click();
    await page.getByRole('option', { name: /^The spam watcher quarantines a requester/ }).click();
    await page.screenshot({ path: join(SCREENSHOTS, 'quarantine-alert-rule.png'), animations: 'disabled' });
    await ruleDialog.getByRole('button', { name: 'Save' }).click();
    await expectOn(page, 'alert-rule', () => ruleDialog.waitFor({ state: 'hidden', timeout: 15_000 }));
    await page.getByRole('menuitem', { name: 'Quarantine' }).click();
    await page.getByRole('table', { name: 'Held requesters' }).or(page.getByText('Nobody is held.')).waitFor();

    // Rita files 5 tickets at once over the API: 3 filed, then 2 held.
    const login = await api<{ login: { token: string } }>(`mutation($i: LoginInput!) { login(input: $i) { token } }`, { i: { tenant: 'demo', email: REQUESTER, password: DEMO_PASSWORD } });
    const token = login.data!.login.token;
    const answers = [];
    for (let i = 1; i <= 5; i++) {
      answers.push(await api(`mutation($s: String!) { createTicket(input: { subject: $s, body: "Again and again" }) { id } }`, { s: `Printer jam, attempt ${i}` }, token));
    }
    expect(answers.map((r) => r.errors?.[0]?.extensions?.code ?? 'filed')).toEqual(['filed', 'filed', 'filed', 'RATE_LIMITED', 'RATE_LIMITED']);
    expect(answers[3].errors?.[0].message).toMatch(/held for review/);

    // The admin sees her in the queue, with the held tickets and why.
    await page.reload();
    const table = page.getByRole('table', { name: 'Held requesters' });
    const row = table.getByRole('row', { name: 'Rita Requester' });
    await expectOn(page, 'queue', () => row.waitFor({ timeout: 15_000 }));
    const text = await row.innerText();
    expect(text).toContain('2 tickets');
    expect(text).toContain('Printer jam, attempt 4');
    expect(text).toContain('More than 3 tickets in 30 minutes');
    expect(text).toContain('Held');
    expect(text).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/); // no bare ids
    await page.screenshot({ path: join(SCREENSHOTS, 'quarantine-queue.png'), fullPage: true, animations: 'disabled' });

    // Release, after a confirmation that says what happens.
    await row.getByRole('button', { name: 'Release: Rita Requester' }).click();
    const confirm = page.getByRole('dialog');
    await confirm.getByText('2 tickets will appear in the ticket list').waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'quarantine-release-confirm.png'), animations: 'disabled' });
    await confirm.getByRole('button', { name: 'Release' }).click();
    await expectOn(page, 'released', () => page.getByText('Released Rita Requester: 2 tickets back in the ticket list').waitFor({ timeout: 15_000 }));
    await page.getByText('Nobody is held.').waitFor();

    // The decision is listed with who made it.
    await page.getByRole('button', { name: 'Decided' }).click();
    const decided = page.getByRole('table', { name: 'Held requesters' }).getByRole('row', { name: 'Rita Requester' });
    await expectOn(page, 'decided', () => decided.getByText('Released', { exact: true }).waitFor({ timeout: 15_000 }));
    expect(await decided.innerText()).toContain('By Ada Admin');
    expect(await decided.innerText()).toContain('None (released)');
    await page.screenshot({ path: join(SCREENSHOTS, 'quarantine-decided.png'), fullPage: true, animations: 'disabled' });

    // The quarantine and the release raised alerts.
    await page.getByRole('menuitem', { name: 'Security alerts' }).click();
    await expectOn(page, 'alerts', () => page.getByText(/quarantined a requester over the limit .*: Rita Requester/).first().waitFor({ timeout: 15_000 }));
    await page.getByText(/Released a quarantine.*: Rita Requester \(by Ada Admin\)/).first().waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(SCREENSHOTS, 'quarantine-alerts.png'), animations: 'disabled' });

    // The held tickets are in the ticket list now.
    await page.getByRole('menuitem', { name: 'Tickets' }).click();
    await page.getByRole('textbox', { name: 'Search tickets' }).fill('Printer jam');
    await expectOn(page, 'list', () => page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 5, undefined, { timeout: 15_000 }));
    await page.screenshot({ path: join(SCREENSHOTS, 'quarantine-released-tickets.png'), animations: 'disabled' });
    await page.context().close();
  }, 180_000);
});
