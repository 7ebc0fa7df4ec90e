/**
 * The audit log in headless Chromium, on the app as `npm start` runs it (demo tenant): the demo
 * admin filters the log and saves the filter, reads a ticket change as a diff, verifies the hash
 * chain, exports the filtered log (after confirming the password) and reads the file, manages an
 * alert rule whose webhook secret is shown once, and sees the activity chart on the dashboard.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { chromiumPath, downloadAfterPassword, giveAgentCustomRole, gqlInPage, SCREENSHOTS, signInToConsole, useConsoleApp } from '../../../tools/e2e/harness';

const executable = chromiumPath();
const maybe = executable ? describe : describe.skip;
const ADMIN = 'admin@demo.bulwark.test';

maybe('audit log in the console', () => {
  const env = useConsoleApp(executable as string);

  /** Waits for `what`; on failure saves a screenshot named after the step, to see why. */
  async function expectOn(page: Page, step: string, what: () => Promise<unknown>) {
    try {
      await what();
    } catch (e) {
      await page.screenshot({ path: join(SCREENSHOTS, `failed-audit-${step}.png`), fullPage: true }).catch(() => undefined);
      throw e;
    }
  }

  /** GraphQL as the signed-in page (its session cookie), for setting up what the UI then shows. */
  /** A wrong password for the admin: a failed sign-in event, charted and alerted on. */
  const failSignIn = () =>
    fetch(`${env.app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'mutation($input: LoginInput!) { login(input: $input) { twoFactorRequired } }',
        variables: { input: { tenant: 'demo', email: ADMIN, password: 'not the password' } },
      }),
    });

  const rowsShowOnly = (page: Page, column: number, text: string) =>
    page.waitForFunction(
      ([col, t]) => {
        const rows = [...document.querySelectorAll('tbody tr')];
        return rows.length > 0 && rows.every((r) => r.querySelectorAll('td')[col]?.textContent?.includes(t));
      },
      [column, text] as const,
      { timeout: 15_000 },
    );

  it('filters, saves a filter, shows a diff, verifies the chain, exports, alerts and charts', async () => {
    await failSignIn();
    const page = await signInToConsole(env.browser, env.app.url, ADMIN);

    // A ticket change, made with the admin's own session: the event the diff view shows.
    const { data: list } = await gqlInPage<{ tickets: { nodes: { id: string; subject: string }[] } }>(page, '{ tickets(page: { limit: 1 }) { nodes { id subject } } }');
    const ticket = list.tickets.nodes[0];
    const updated = await gqlInPage(page, 'mutation($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { id } }', {
      id: ticket.id,
      input: { subject: `${ticket.subject} (audited)`, priority: 'URGENT' },
    });
    expect(updated.errors).toBeUndefined();

    // The log, newest first, keyset-paged: 50 rows, then "Load older" for the rest.
    await page.getByRole('menuitem', { name: 'Audit log' }).click();
    const rows = page.locator('tbody tr');
    await expectOn(page, 'list', () => rows.first().waitFor({ timeout: 30_000 }));
    await page.getByText('50 newest events shown').waitFor();
    expect(await rows.count()).toBe(50);
    await page.screenshot({ path: join(SCREENSHOTS, 'audit-log.png') });
    await page.getByRole('button', { name: 'Load older' }).click();
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length > 50, undefined, { timeout: 15_000 });
    await page.getByText('No older events').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOTS, 'audit-log-older.png') });

    // Filter by action (column 2 is "Action"), then save that filter as a query.
    const actions = page.getByRole('combobox', { name: 'Actions' });
    await actions.click();
    await actions.fill('Signed in');
    await page.getByRole('option', { name: 'Signed in', exact: true }).click();
    await page.keyboard.press('Escape');
    await expectOn(page, 'filter-action', () => rowsShowOnly(page, 2, 'Signed in'));
    await page.getByRole('button', { name: 'Save current query...' }).click();
    await page.getByLabel('Query name').fill('Sign-ins');
    await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
    const savedQuery = page.getByRole('button', { name: 'Sign-ins', exact: true });
    await savedQuery.waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'audit-log-filtered.png') });

    // Outcome from the sidebar instead: the failed sign-in made at the start. (The list remembers
    // its last filters; an explicit empty filter in the address clears them.)
    await page.goto(`${env.app.url}/#/audit?filter=${encodeURIComponent('{}')}`);
    // (the sidebar's items are buttons; the outcome chips in the rows are not)
    await page.getByRole('button', { name: 'Failure', exact: true }).click();
    await expectOn(page, 'filter-outcome', () => rowsShowOnly(page, 4, 'Failure'));
    await page.getByText('A sign-in failed').first().waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'audit-log-failures.png') });
    // The saved query brings its filter back.
    await savedQuery.click();
    await expectOn(page, 'saved-query', () => rowsShowOnly(page, 2, 'Signed in'));

    // The ticket change, found by searching its id, opens on its diff.
    await page.goto(`${env.app.url}/#/audit?filter=${encodeURIComponent(JSON.stringify({ q: ticket.id }))}`);
    await expectOn(page, 'search-ticket', () => rowsShowOnly(page, 3, 'Ticket'));
    await page.locator('tbody tr', { hasText: 'Changed a ticket' }).first().click();
    const diff = page.getByRole('table', { name: 'Changes' });
    await expectOn(page, 'diff', () => diff.waitFor({ timeout: 15_000 }));
    await diff.getByRole('row', { name: /priority/ }).waitFor();
    expect(await diff.getByRole('row', { name: /subject/ }).innerText()).toContain(`${ticket.subject} (audited)`);
    await page.getByTestId('audit-hash').waitFor();
    expect((await page.getByTestId('audit-hash').innerText()).trim()).toMatch(/^[0-9a-f]{64}$/);
    await page.screenshot({ path: join(SCREENSHOTS, 'audit-event-diff.png'), fullPage: true });

    // Verify the chain.
    await page.getByRole('link', { name: 'Audit log' }).first().click();
    await rows.first().waitFor();
    await page.getByRole('button', { name: 'Verify chain' }).click();
    const verified = page.getByRole('dialog', { name: 'Audit chain verification' });
    await expectOn(page, 'verify', () => verified.getByText(/\d[\d,]* events verified, chain intact/).waitFor({ timeout: 30_000 }));
    await page.screenshot({ path: join(SCREENSHOTS, 'audit-verify.png'), animations: 'disabled' });
    await verified.getByRole('button', { name: 'Close' }).click();

    // Export the sign-ins as CSV: the password is asked for (no recent confirmation), then the file comes.
    await savedQuery.click();
    await rowsShowOnly(page, 2, 'Signed in');
    await page.getByRole('button', { name: 'Export' }).click();
    await page.getByRole('menuitem', { name: /^CSV/ }).click();
    const download = await downloadAfterPassword(page, 'audit-export-reauth');
    expect(download.suggestedFilename()).toMatch(/^audit-.*\.csv$/);
    const csv = readFileSync((await download.path())!, 'utf8').trim().split(/\r\n/);
    expect(csv[0]).toBe('seq,id,occurred_at,actor_type,actor_id,actor_name,action,target_type,target_id,outcome,ip,user_agent,request_id,changes,details,hash');
    expect(csv.length).toBeGreaterThan(1);
    for (const line of csv.slice(1)) expect(line).toContain(',identity.loginSucceeded,');
    await page.getByText('Export started').waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'audit-exported.png') });

    // An alert rule with a webhook: its signing secret is shown once; a failed sign-in then raises an alert.
    await page.getByRole('menuitem', { name: 'Security alerts' }).click();
    await page.getByRole('button', { name: 'Add rule' }).click();
    const ruleDialog = page.getByRole('dialog', { name: 'New alert rule' });
    await ruleDialog.getByLabel('Name').fill('Any failed sign-in');
    await ruleDialog.getByLabel('Failed sign-ins (N)').fill('1');
    await ruleDialog.getByLabel('Webhook URL (optional)').fill('http://127.0.0.1:9/bulwark-alerts');
    await ruleDialog.getByLabel('Email every owner and admin').check();
    await page.screenshot({ path: join(SCREENSHOTS, 'audit-alert-rule.png'), animations: 'disabled' });
    await ruleDialog.getByRole('button', { name: 'Save' }).click();
    const secret = page.getByRole('dialog', { name: 'Webhook signing secret' });
    await expectOn(page, 'rule-secret', () => secret.waitFor({ timeout: 15_000 }));
    expect((await secret.getByTestId('webhook-secret').innerText()).trim().length).toBeGreaterThan(20);
    await page.screenshot({ path: join(SCREENSHOTS, 'audit-webhook-secret.png'), animations: 'disabled' });
    await secret.getByRole('button', { name: 'I have copied it' }).click();
    await page.getByRole('table', { name: 'Alert rules' }).getByText('Any failed sign-in').waitFor();
    await failSignIn();
    await expectOn(page, 'alert-raised', async () => {
      for (let i = 0; i < 20; i++) {
        await page.reload();
        const table = page.getByRole('table', { name: 'Recent alerts' });
        if (await table.waitFor({ timeout: 3_000 }).then(() => true, () => false)) return;
      }
      throw new Error('no alert was raised');
    });
    await page.screenshot({ path: join(SCREENSHOTS, 'audit-security-alerts.png'), fullPage: true });
    await page.getByRole('table', { name: 'Alert rules' }).getByText('All owners and admins').waitFor();

    // The delivery log: the alert's mail to each owner and admin, and its webhook (nobody listens
    // at that address, so it waits for its next try), in words.
    await page.getByRole('menuitem', { name: 'Deliveries' }).click();
    await expectOn(page, 'deliveries', async () => {
      for (let i = 0; i < 20; i++) {
        await page.reload();
        const mailed = page.getByText('Security alert: Any failed sign-in').first();
        if (await mailed.waitFor({ timeout: 3_000 }).then(() => true, () => false)) return;
      }
      throw new Error('no delivery listed');
    });
    await page.getByText('Alert webhook').first().waitFor();
    await page.getByText('Email').first().waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'audit-deliveries.png'), fullPage: true });

    // The dashboard card charts sign-in failures (two so far) and configuration changes.
    await page.getByRole('menuitem', { name: 'Dashboard' }).click();
    const card = page.locator('.MuiCard-root', { hasText: 'Security activity' });
    await expectOn(page, 'dashboard-card', () => card.getByText('Sign-in failures: 2').waitFor({ timeout: 15_000 }));
    // The rule, and the demo's organization (its seed is recorded like any change).
    await card.getByText('Configuration changes: 2').waitFor();
    expect(await card.locator('svg rect').count()).toBe(28); // 14 days, two bars each
    await page.screenshot({ path: join(SCREENSHOTS, 'audit-dashboard.png') });
    await card.screenshot({ path: join(SCREENSHOTS, 'audit-dashboard-card.png') });
    await page.context().close();
  }, 240_000);

  it('follows permissions: nothing for an agent; reading but no export or management for an audit reader', async () => {
    const agent = await signInToConsole(env.browser, env.app.url, 'agent@demo.bulwark.test');
    await agent.getByRole('menuitem', { name: 'Tickets' }).waitFor();
    expect(await agent.getByRole('menuitem', { name: 'Audit log' }).count()).toBe(0);
    expect(await agent.getByRole('menuitem', { name: 'Security alerts' }).count()).toBe(0);
    expect(await agent.getByRole('menuitem', { name: 'Deliveries' }).count()).toBe(0);
    expect(await agent.getByText('Security activity').count()).toBe(0);
    await agent.context().close();

    // The admin gives the agent a custom role holding AUDIT_READ only (no AUDIT_EXPORT, no AUDIT_MANAGE).
    await giveAgentCustomRole(env.browser, env.app.url, 'Audit reader', ['TICKETS_READ', 'AUDIT_READ']);

    const reader = await signInToConsole(env.browser, env.app.url, 'agent@demo.bulwark.test');
    await reader.locator('.MuiCard-root', { hasText: 'Security activity' }).locator('svg').waitFor();
    await reader.getByRole('menuitem', { name: 'Audit log' }).click();
    await reader.locator('tbody tr').first().waitFor();
    await reader.getByRole('button', { name: 'Verify chain' }).waitFor();
    expect(await reader.getByRole('button', { name: 'Export' }).count()).toBe(0);
    // Reading the audit log is not reading who was mailed what.
    expect(await reader.getByRole('menuitem', { name: 'Deliveries' }).count()).toBe(0);
    await reader.screenshot({ path: join(SCREENSHOTS, 'audit-reader-log.png') });
    await reader.getByRole('menuitem', { name: 'Security alerts' }).click();
    await reader.getByRole('table', { name: 'Alert rules' }).getByText('Any failed sign-in').waitFor();
    expect(await reader.getByRole('button', { name: 'Add rule' }).count()).toBe(0);
    expect(await reader.getByRole('button', { name: /^Edit / }).count()).toBe(0);
    expect(await reader.getByLabel('Keep events for (days)').isDisabled()).toBe(true);
    await reader.screenshot({ path: join(SCREENSHOTS, 'audit-reader-alerts.png'), fullPage: true });
    await reader.context().close();
  });
});
