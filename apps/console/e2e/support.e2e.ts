/**
 * Vendor support access in headless Chromium, on the app as `npm start` runs it (demo tenant),
 * with an operator made by the CLI: the demo admin opens a vendor support request and grants
 * read-only access (confirming the password) and sees the banner; the operator signs in on the
 * support sign-in page with their password and authenticator code and works under a banner that
 * says whose data they are in until when; the admin solves the request, and the operator's next
 * click signs them out (SECURITY.md H1, H2).
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { Secret, TOTP } from 'otpauth';
import { chromiumPath, DEMO_PASSWORD, runCli, SCREENSHOTS, signInToConsole, useConsoleApp } from '../../../tools/e2e/harness';

const executable = chromiumPath();
const maybe = executable ? describe : describe.skip;
const ADMIN = 'admin@demo.bulwark.test';
const OPERATOR = { email: 'sam@vendor.example', name: 'Sam Support', password: 'operator password for the e2e test' };

maybe('vendor support access in the console', () => {
  const env = useConsoleApp(executable as string);

  async function expectOn(page: Page, step: string, what: () => Promise<unknown>) {
    try {
      await what();
    } catch (e) {
      await page.screenshot({ path: join(SCREENSHOTS, `failed-support-${step}.png`), fullPage: true }).catch(() => undefined);
      throw e;
    }
  }

  it('an admin grants access with a request, the operator works under a banner, and closing the request signs them out', async () => {
    // The vendor's side: an operator, made by the CLI, with their authenticator secret shown once.
    const made = runCli(['operator', 'create', '--email', OPERATOR.email, '--name', OPERATOR.name, '--password-env', 'OPERATOR_PASSWORD'], {
      BULWARK_DATA_DIR: env.app.dataDir,
      DATABASE_URL: undefined,
      NODE_ENV: 'development',
      OPERATOR_PASSWORD: OPERATOR.password,
    });
    expect(made.stderr + made.stdout).toContain(`created operator ${OPERATOR.email}`);
    const secret = /secret=([A-Z2-7]+)/.exec(made.stdout)?.[1] as string;
    expect(secret).toBeTruthy();
    const code = () => TOTP.generate({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 });

    // The workspace's side: the admin opens a request and grants read-only access to the team.
    const admin = await signInToConsole(env.browser, env.app.url, ADMIN);
    await admin.getByRole('menuitem', { name: 'Vendor support' }).click();
    const request = admin.getByRole('button', { name: 'Request vendor support' });
    await expectOn(admin, 'page', () => request.waitFor({ timeout: 15_000 }));
    await admin.getByText('The vendor has no access to this workspace, and never had.').waitFor();
    await request.click();
    const form = admin.getByRole('dialog', { name: 'Request vendor support' });
    await form.getByRole('textbox', { name: 'What should they look at?' }).fill('Ticket exports time out');
    await form.getByRole('textbox', { name: 'Describe the problem' }).fill('Since Monday every CSV export of more than a few tickets times out.');
    await form.getByRole('combobox', { name: 'For how long' }).click();
    await admin.getByRole('option', { name: '24 hours' }).click();
    await admin.screenshot({ path: join(SCREENSHOTS, 'support-request.png'), animations: 'disabled' });
    await form.getByRole('button', { name: 'Open request and grant access' }).click();
    const reauth = admin.getByRole('dialog', { name: 'Confirm it is you' });
    await expectOn(admin, 'reauth', () => reauth.waitFor({ timeout: 15_000 }));
    await reauth.getByLabel('Your password').fill(DEMO_PASSWORD);
    await reauth.getByRole('button', { name: 'Confirm' }).click();
    const table = admin.getByRole('table', { name: 'Vendor support access' });
    const row = table.getByRole('row', { name: /Ticket exports time out/ });
    await expectOn(admin, 'granted', () => row.getByText('Active').waitFor({ timeout: 15_000 }));
    expect(await row.innerText()).toMatch(/Read only[\s\S]*Support team[\s\S]*Ada Admin/);
    await admin.reload();
    await expectOn(admin, 'admin-banner', () => admin.getByTestId('support-access-banner').waitFor({ timeout: 15_000 }));
    expect(await admin.getByTestId('support-access-banner').innerText()).toContain('Vendor support can access this workspace until');
    await admin.screenshot({ path: join(SCREENSHOTS, 'support-granted.png') });

    // The operator signs in on their own page and works in the demo workspace, as themselves.
    const operator = await (await env.browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    await operator.goto(env.app.url);
    await operator.getByRole('link', { name: 'Vendor support staff sign in here' }).click();
    await operator.getByLabel('Workspace').fill('demo');
    await operator.getByLabel('Email').fill(OPERATOR.email);
    await operator.getByLabel('Password').fill(OPERATOR.password);
    await operator.getByLabel('Authenticator code').fill(code());
    await operator.screenshot({ path: join(SCREENSHOTS, 'support-operator-sign-in.png') });
    await operator.getByRole('button', { name: 'Sign in' }).click();
    const banner = operator.getByTestId('support-operator-banner');
    await expectOn(operator, 'operator-banner', () => banner.waitFor({ timeout: 30_000 }));
    expect(await banner.innerText()).toMatch(/you are working in Demo.*’s data as Sam Support, until/);
    await operator.getByRole('menuitem', { name: 'Tickets' }).click();
    await expectOn(operator, 'operator-tickets', () => operator.getByText('Ticket exports time out').first().waitFor({ timeout: 15_000 }));
    await operator.screenshot({ path: join(SCREENSHOTS, 'support-operator-working.png') });
    // No account of the workspace's to manage: My account says whose it is instead of failing.
    await operator.getByRole('menuitem', { name: 'My account' }).click();
    await operator.getByText('Your password and authenticator are managed by the vendor’s platform operators').waitFor({ timeout: 15_000 });

    // What the operator did is in the audit log, one click from the grants, reads included.
    await admin.getByRole('menuitem', { name: 'Vendor support' }).click();
    await admin.getByRole('link', { name: 'audit log, filtered to vendor support' }).click();
    await expectOn(admin, 'audit', () => admin.getByText('Sam Support').first().waitFor({ timeout: 15_000 }));
    expect(await admin.locator('tbody').innerText()).not.toContain('Ada Admin');
    await admin.screenshot({ path: join(SCREENSHOTS, 'support-audit.png') });

    // The admin solves the request in the ticket itself: access ends with it.
    await admin.getByRole('menuitem', { name: 'Vendor support' }).click();
    await table.getByRole('link', { name: 'Ticket exports time out' }).click();
    // The status in the ticket's side panel, saved as soon as it is chosen.
    await expectOn(admin, 'ticket', () => admin.locator('#ticket-status').click({ timeout: 15_000 }));
    await admin.getByRole('option', { name: 'Solved' }).click();
    await expectOn(admin, 'solved', () => admin.getByText('Status: Solved').waitFor({ timeout: 15_000 }));
    await admin.getByRole('menuitem', { name: 'Vendor support' }).click();
    await expectOn(admin, 'ended', () => table.getByRole('row', { name: /Ticket exports time out/ }).getByText('Ended: request closed').waitFor({ timeout: 15_000 }));
    await admin.screenshot({ path: join(SCREENSHOTS, 'support-ended.png') });

    // The operator's next click is refused: they are back on the sign-in page, told why.
    await operator.getByRole('menuitem', { name: 'Dashboard' }).click();
    await expectOn(operator, 'signed-out', () => operator.getByText('Your session has ended. Sign in again to continue.').waitFor({ timeout: 30_000 }));
    await operator.screenshot({ path: join(SCREENSHOTS, 'support-operator-out.png') });
    await operator.context().close();
    await admin.context().close();
  });
});
