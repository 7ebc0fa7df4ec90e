/**
 * Backups in headless Chromium, on the app as `npm start` runs it (demo tenant): the demo admin
 * (the tenant's owner, so holding backups.restore) changes the schedule and sees the server's
 * next five runs, backs up now and waits for the run, then walks the restore wizard's dry run
 * (after confirming the password) up to the typed confirmation, then restores into a new
 * workspace (a sandbox copy) instead, which replaces nothing here: a real restore
 * would sign everyone out. In a new session, downloads the backup file through the password
 * prompt and gets the stored bytes. The dashboard card shows the last backup and the next one; a person
 * with read access only sees everything and can change nothing.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { chromiumPath, DEMO_PASSWORD, downloadAfterPassword, giveAgentCustomRole, gqlInPage, SCREENSHOTS, signInToConsole, useConsoleApp } from '../../../tools/e2e/harness';

const executable = chromiumPath();
const maybe = executable ? describe : describe.skip;
const ADMIN = 'admin@demo.bulwark.test';

maybe('backups in the console', () => {
  const env = useConsoleApp(executable as string);

  /** Waits for `what`; on failure saves a screenshot named after the step, to see why. */
  async function expectOn(page: Page, step: string, what: () => Promise<unknown>) {
    try {
      await what();
    } catch (e) {
      await page.screenshot({ path: join(SCREENSHOTS, `failed-backups-${step}.png`), fullPage: true }).catch(() => undefined);
      throw e;
    }
  }

  /** GraphQL as the signed-in page (its session cookie), to check what the UI did. */
  it('edits the schedule, backs up now, and walks the restore dry run up to the typed confirmation', async () => {
    const page = await signInToConsole(env.browser, env.app.url, ADMIN);
    const card = page.locator('.MuiCard-root', { hasText: 'The last one, and the next' });
    await expectOn(page, 'dashboard-empty', () => card.getByText('None yet').waitFor({ timeout: 15_000 }));

    // The schedule: the demo's default (02:00 UTC every day), then Mondays 03:30 in Paris, keep 7.
    await page.getByRole('menuitem', { name: 'Backups' }).click();
    const nextRuns = page.getByRole('list', { name: 'Next runs' });
    await expectOn(page, 'page', () => nextRuns.waitFor({ timeout: 30_000 }));
    expect(await nextRuns.getByRole('listitem').count()).toBe(5);
    await page.getByText('Every day at 02:00').waitFor();

    // A schedule more often than hourly: the server's message shows, nothing is saved.
    const cron = page.getByLabel('Cron expression');
    await cron.fill('*/5 * * * *');
    await page.getByText('Custom schedule: */5 * * * *').waitFor();
    await page.getByRole('button', { name: 'Save' }).click();
    await expectOn(page, 'too-often', () => page.getByRole('alert').filter({ hasText: 'Back up at most once an hour' }).waitFor({ timeout: 15_000 }));
    await page.screenshot({ path: join(SCREENSHOTS, 'backups-schedule-error.png') });

    await cron.fill('30 3 * * 1');
    await page.getByText('Every Monday at 03:30').waitFor();
    const zone = page.getByRole('combobox', { name: 'Time zone' });
    await zone.click();
    await zone.fill('Europe/Par');
    await page.getByRole('option', { name: 'Europe/Paris', exact: true }).click();
    await page.getByLabel('Backups kept').fill('7');
    await page.getByText('Save to see the runs of the changed schedule.').waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'backups-schedule-edit.png') });
    await page.getByRole('button', { name: 'Save' }).click();
    await expectOn(page, 'saved', () => page.getByText('Schedule saved: Every Monday at 03:30 (Europe/Paris)').waitFor({ timeout: 15_000 }));
    // The preview is the server's answer: five Mondays at 03:30, Paris time.
    await page.getByText(/^Computed by the server for the saved schedule, in Europe\/Paris/).waitFor();
    await page.getByText('Save to see the runs of the changed schedule.').waitFor({ state: 'hidden' });
    const runs = await nextRuns.getByRole('listitem').allInnerTexts();
    expect(runs).toHaveLength(5);
    for (const r of runs) expect(r).toMatch(/^Mon, .*03:30/);
    const saved = await gqlInPage<{ backupSchedule: { cron: string; timezone: string; retentionCount: number; nextRuns: string[] } }>(
      page,
      '{ backupSchedule { cron timezone retentionCount nextRuns } }',
    );
    expect(saved.data.backupSchedule).toMatchObject({ cron: '30 3 * * 1', timezone: 'Europe/Paris', retentionCount: 7 });
    expect(saved.data.backupSchedule.nextRuns).toHaveLength(5);
    await page.screenshot({ path: join(SCREENSHOTS, 'backups-schedule-saved.png') });

    // Back up now: the button waits for the run the server starts after answering.
    const table = page.getByRole('table', { name: 'Backup runs' });
    await page.getByRole('button', { name: 'Back up now' }).click();
    await page.getByRole('button', { name: 'Backing up…' }).waitFor();
    const done = table.locator('tbody tr[data-status="succeeded"]').first();
    await expectOn(page, 'backup', () => done.waitFor({ timeout: 120_000 }));
    const finished = page.getByText(/^Backup finished: /);
    await finished.waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: 'Back up now' }).waitFor();
    const cells = await done.locator('td').allInnerTexts();
    expect(cells[1]).toContain('Manual');
    expect(cells[2]).toContain('Succeeded');
    expect(cells[3]).toMatch(/^\d+(\.\d)? (bytes|KiB|MiB)$/); // size
    expect(Number(cells[4].replace(/\D/g, ''))).toBeGreaterThan(5); // rows
    const hash = done.locator('[data-sha256]');
    expect(await hash.innerText()).toMatch(/^[0-9a-f]{12}…$/);
    await finished.waitFor({ state: 'hidden', timeout: 15_000 }); // the notice would hide the row in the screenshot
    await hash.hover();
    const fullHash = await page.getByRole('tooltip').innerText();
    expect(fullHash.trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(fullHash.trim().startsWith((await hash.innerText()).slice(0, 12))).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'backups-run-succeeded.png') });
    await page.mouse.move(0, 0);

    // Restore, step 1: the dry run, after the password is confirmed.
    await done.getByRole('button', { name: 'Restore…' }).click();
    const wizard = page.getByRole('dialog', { name: 'Restore from a backup' });
    await wizard.waitFor();
    await wizard.getByRole('button', { name: 'Start the dry run' }).click();
    const reauth = page.getByRole('dialog', { name: 'Confirm it is you' });
    await expectOn(page, 'reauth', () => reauth.waitFor({ timeout: 15_000 }));
    await reauth.getByLabel('Your password').fill(DEMO_PASSWORD);
    await page.screenshot({ path: join(SCREENSHOTS, 'backups-restore-reauth.png'), animations: 'disabled' });
    await reauth.getByRole('button', { name: 'Confirm' }).click();
    const counts = wizard.getByRole('table', { name: 'Rows per table' });
    await expectOn(page, 'dry-run', () => counts.waitFor({ timeout: 60_000 }));
    await wizard.getByText(/The backup is readable: \d+ rows in \d+ tables/).waitFor();
    expect(await counts.getByRole('row', { name: /^Tickets \d+$/ }).innerText()).toMatch(/Tickets\s+36/); // the 36 demo tickets
    expect(await counts.getByRole('row', { name: /^Users / }).innerText()).toMatch(/Users\s+3/);
    expect(await counts.getByRole('row', { name: /^Total / }).innerText()).toContain(cells[4].trim());
    await page.screenshot({ path: join(SCREENSHOTS, 'backups-restore-dry-run.png'), animations: 'disabled' });

    // Step 2: the workspace's name, typed to confirm. Stop there: a real restore signs everyone out.
    await wizard.getByRole('button', { name: 'Next' }).click();
    const restoreButton = wizard.getByRole('button', { name: 'Restore the workspace' });
    const typed = wizard.getByLabel('Workspace name');
    await typed.waitFor();
    expect(await restoreButton.isDisabled()).toBe(true);
    await typed.fill('dem');
    expect(await restoreButton.isDisabled()).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'backups-restore-confirm-disabled.png'), animations: 'disabled' });
    await typed.fill('demo');
    expect(await restoreButton.isEnabled()).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, 'backups-restore-confirm-typed.png'), animations: 'disabled' });

    // Instead, into a new workspace: a sandbox copy, which replaces nothing and signs nobody out.
    await wizard.getByRole('radio', { name: 'Into a new workspace (a copy)' }).check();
    const copyButton = wizard.getByRole('button', { name: 'Create the copy' });
    const sandbox = wizard.getByLabel('New workspace name (sign-in name)');
    expect(await sandbox.inputValue()).toBe('demo-copy');
    await sandbox.fill('demo-sandbox');
    expect(await copyButton.isDisabled()).toBe(true); // a display name is needed too
    await wizard.getByLabel('Display name').fill('Demo sandbox');
    await page.screenshot({ path: join(SCREENSHOTS, 'backups-restore-copy.png'), animations: 'disabled' });
    await copyButton.click();
    await expectOn(page, 'restore-copy', () => wizard.getByText('Workspace demo-sandbox created').waitFor({ timeout: 60_000 }));
    await page.screenshot({ path: join(SCREENSHOTS, 'backups-restore-copied.png'), animations: 'disabled' });
    await wizard.getByRole('button', { name: 'Close' }).click();
    await wizard.waitFor({ state: 'hidden' });
    // The copy answers at its own name with the same password (from outside this browser, whose
    // session must stay the one of demo).
    const sandboxLogin = await fetch(`${env.app.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'mutation($i: LoginInput!) { login(input: $i) { token } }', variables: { i: { tenant: 'demo-sandbox', email: ADMIN, password: DEMO_PASSWORD } } }),
    });
    expect(((await sandboxLogin.json()) as { data: { login: { token: string } } }).data.login.token).toMatch(/^bws_/);
    // This workspace was not restored over: still signed in, and its log has no restore.
    const copiedEvents = await gqlInPage<{ auditEvents: { items: unknown[] } }>(page, '{ auditEvents(filter: { actions: ["backups.copiedToNewTenant"] }, first: 5) { items { id } } }');
    expect(copiedEvents.data.auditEvents.items).toHaveLength(1);
    const after = await gqlInPage<{ me: { tenant: { slug: string } }; auditEvents: { items: unknown[] } }>(
      page,
      '{ me { tenant { slug } } auditEvents(filter: { actions: ["backups.restored"] }, first: 5) { items { id } } }',
    );
    expect(after.errors).toBeUndefined();
    expect(after.data.me.tenant.slug).toBe('demo');
    expect(after.data.auditEvents.items).toHaveLength(0);

    // The dashboard card: the last backup and the next Monday 03:30 in Paris.
    await page.getByRole('menuitem', { name: 'Dashboard' }).click();
    await expectOn(page, 'dashboard-card', () => card.getByText('Succeeded').waitFor({ timeout: 15_000 }));
    expect(await card.innerText()).toMatch(/\d+(\.\d)? (bytes|KiB|MiB)/);
    expect(await card.innerText()).toMatch(/Mon, .*03:30/);
    await card.getByText(/Europe\/Paris/).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'backups-dashboard.png') });
    await card.screenshot({ path: join(SCREENSHOTS, 'backups-dashboard-card.png') });
    await page.context().close();
  }, 300_000);

  it('downloads a backup file after confirming the password: the stored bytes, under the workspace and date', async () => {
    // A new sign-in: the password confirmed for the restore above belongs to that session only.
    const page = await signInToConsole(env.browser, env.app.url, ADMIN);
    await page.getByRole('menuitem', { name: 'Backups' }).click();
    const table = page.getByRole('table', { name: 'Backup runs' });
    const done = table.locator('tbody tr[data-status="succeeded"]').first();
    await expectOn(page, 'download-list', () => done.waitFor({ timeout: 30_000 }));
    const runId = await done.getAttribute('data-run-id');
    const runs = await gqlInPage<{ backupRuns: { id: string; sizeBytes: number; sha256: string; createdAt: string }[] }>(page, '{ backupRuns { id sizeBytes sha256 createdAt } }');
    const run = runs.data.backupRuns.find((r) => r.id === runId)!;
    expect(run.sizeBytes).toBeGreaterThan(0);

    await done.getByRole('button', { name: 'Download' }).click();
    const download = await downloadAfterPassword(page, 'backups-download-reauth');
    expect(download.suggestedFilename()).toBe(`demo-${run.createdAt.slice(0, 10)}-${run.id.slice(0, 8)}.bwb`);
    const file = readFileSync((await download.path())!);
    expect(file.length).toBe(run.sizeBytes);
    expect(createHash('sha256').update(file).digest('hex')).toBe(run.sha256);
    await page.getByText(/^Downloading demo-.*\.bwb/).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'backups-downloaded.png') });
    // The link worked once and is spent; the event names the run.
    expect(download.url()).toMatch(/\/api\/backups\/download\/bwd_/);
    expect(await page.evaluate(async (url) => (await fetch(url)).status, download.url())).toBe(404);
    const events = await gqlInPage<{ auditEvents: { items: { targetId: string }[] } }>(page, '{ auditEvents(filter: { actions: ["backups.downloaded"] }, first: 5) { items { targetId } } }');
    expect(events.data.auditEvents.items).toEqual([{ targetId: run.id }]);
    await page.context().close();
  }, 120_000);

  it('follows permissions: nothing for an agent; everything shown but nothing changeable for a reader', async () => {
    const agent = await signInToConsole(env.browser, env.app.url, 'agent@demo.bulwark.test');
    await agent.getByRole('menuitem', { name: 'Tickets' }).waitFor();
    expect(await agent.getByRole('menuitem', { name: 'Backups' }).count()).toBe(0);
    expect(await agent.getByText('The last one, and the next').count()).toBe(0);
    await agent.context().close();

    // The admin gives the agent a custom role holding BACKUPS_READ only.
    await giveAgentCustomRole(env.browser, env.app.url, 'Backup reader', ['TICKETS_READ', 'BACKUPS_READ']);

    const reader = await signInToConsole(env.browser, env.app.url, 'agent@demo.bulwark.test');
    await reader.locator('.MuiCard-root', { hasText: 'The last one, and the next' }).getByText('Succeeded').waitFor({ timeout: 15_000 });
    await reader.getByRole('menuitem', { name: 'Backups' }).click();
    const table = reader.getByRole('table', { name: 'Backup runs' });
    await expectOn(reader, 'reader', () => table.waitFor({ timeout: 30_000 }));
    expect(await reader.getByLabel('Cron expression').isDisabled()).toBe(true);
    expect(await reader.getByLabel('Backups kept').isDisabled()).toBe(true);
    expect(await reader.getByRole('button', { name: 'Save' }).count()).toBe(0);
    expect(await reader.getByRole('button', { name: 'Back up now' }).count()).toBe(0);
    expect(await reader.getByRole('button', { name: /Switch to OpenPGP|Change encryption/ }).count()).toBe(0);
    expect(await table.getByRole('button', { name: 'Restore…' }).count()).toBe(0);
    expect(await table.getByRole('button', { name: 'Download' }).count()).toBe(0);
    expect(await reader.getByRole('list', { name: 'Next runs' }).getByRole('listitem').count()).toBe(5);
    await reader.screenshot({ path: join(SCREENSHOTS, 'backups-reader.png'), fullPage: true });
    await reader.context().close();
  });
});
