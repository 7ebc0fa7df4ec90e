/**
 * Issue 3's console flows in headless Chromium, on the app as `npm start` runs it (demo tenant):
 * a custom role made in the matrix editor changes what its holder sees; a person enrols in
 * two-factor sign-in and signs in with a code; an admin signs everyone out and another browser
 * is sent to the sign-in page.
 */
import { join } from 'node:path';
import { TOTP } from 'otpauth';
import type { Page } from 'playwright-core';
import { chromiumPath, DEMO_PASSWORD, SCREENSHOTS, signInToConsole, signInToPortal, useConsoleApp } from '../../../tools/e2e/harness';

const executable = chromiumPath();
const maybe = executable ? describe : describe.skip;
const PASSWORD = DEMO_PASSWORD;

maybe('security controls in the console', () => {
  const env = useConsoleApp(executable as string);

  /** Waits for `what`; on failure saves a screenshot named after the step, to see why. */
  async function expectOn(page: Page, step: string, what: () => Promise<unknown>) {
    try {
      await what();
    } catch (e) {
      await page.screenshot({ path: join(SCREENSHOTS, `failed-${step}.png`), fullPage: true }).catch(() => undefined);
      throw e;
    }
  }

  const signIn = (email: string, code?: () => string) => signInToConsole(env.browser, env.app.url, email, code);

  /**
   * After a sensitive action: answers the password prompt (B8) if it appears, then waits for the
   * action's visible outcome. Whichever comes first decides; nothing waits blindly.
   */
  async function thenExpect(page: Page, outcome: ReturnType<Page['getByText']>, step: string) {
    const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
    await expectOn(page, step, () => dialog.or(outcome).first().waitFor({ timeout: 15_000 }));
    if (await dialog.isVisible()) {
      await dialog.getByLabel('Your password').fill(PASSWORD);
      await dialog.getByRole('button', { name: 'Confirm' }).click();
      await dialog.waitFor({ state: 'hidden' });
    }
    await expectOn(page, step, () => outcome.first().waitFor({ timeout: 15_000 }));
  }

  it('a custom role made in the matrix editor changes its holder’s menu and actions', async () => {
    const agentBefore = await signIn('agent@demo.bulwark.test');
    await agentBefore.getByRole('menuitem', { name: 'People' }).waitFor();
    await agentBefore.context().close();

    const admin = await signIn('admin@demo.bulwark.test');
    await admin.getByRole('menuitem', { name: 'Roles' }).click();
    await admin.getByLabel('New role name').fill('Ticket viewer');
    await admin.getByRole('button', { name: 'Create role' }).click();
    await thenExpect(admin, admin.getByRole('checkbox', { name: 'Ticket viewer: Open tickets one can see' }), 'create-role');
    await admin.getByRole('checkbox', { name: 'Ticket viewer: Open tickets one can see' }).check();
    await admin.getByText('Ticket viewer saved').first().waitFor();
    await admin.getByRole('checkbox', { name: /^Ticket viewer: See every ticket of the workspace/ }).check();
    await admin.getByText('Ticket viewer saved').first().waitFor();
    expect(await admin.getByRole('checkbox', { name: 'Agent: Open tickets one can see', exact: true }).isDisabled()).toBe(true); // built in
    await admin.screenshot({ path: join(SCREENSHOTS, 'console-roles-matrix.png'), fullPage: true });

    await admin.getByRole('menuitem', { name: 'People' }).click();
    await expectOn(admin, 'people-role-select', () => admin.getByRole('combobox', { name: 'Role of Alan Agent' }).click({ timeout: 15_000 }));
    await admin.getByRole('option', { name: 'Ticket viewer' }).click();
    await thenExpect(admin, admin.getByText("Alan Agent's role changed"), 'change-role');
    await admin.context().close();

    const agent = await signIn('agent@demo.bulwark.test');
    await agent.getByRole('menuitem', { name: 'Tickets' }).click();
    await agent.locator('tbody tr').first().waitFor();
    expect(await agent.getByRole('menuitem', { name: 'People' }).count()).toBe(0);
    expect(await agent.getByRole('link', { name: 'New ticket' }).count()).toBe(0);
    await agent.locator('tbody tr').first().click();
    await agent.getByRole('region', { name: 'Conversation' }).waitFor();
    // Read only: no reply box, the properties shown but not changeable.
    expect(await agent.getByRole('region', { name: 'Reply box' }).count()).toBe(0);
    expect(await agent.locator('#ticket-status').getAttribute('aria-disabled')).toBe('true');
    await agent.screenshot({ path: join(SCREENSHOTS, 'console-custom-role-agent.png') });
    await agent.context().close();
  });

  it('enrols in two-factor sign-in and signs in with a code', async () => {
    // The requester's account is in the portal, under their name.
    const page = await signInToPortal(env.browser, env.app.url, 'requester@demo.bulwark.test');
    await page.getByRole('banner').getByRole('button', { name: 'Rita Requester' }).click();
    await page.getByRole('menuitem', { name: 'My account' }).click();
    await page.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
    await thenExpect(page, page.getByTestId('totp-secret'), 'enrol-2fa');
    const secret = (await page.getByTestId('totp-secret').textContent())!.trim();
    const totp = new TOTP({ secret, digits: 6, period: 30, algorithm: 'SHA1' });
    await page.getByLabel('Code from the app').fill(totp.generate());
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByTestId('recovery-codes').waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'console-2fa-enrolled.png'), fullPage: true });
    await page.context().close();

    // A code can be used once: wait for the next 30-second step before signing in with one.
    const step = Math.floor(Date.now() / 30_000);
    while (Math.floor(Date.now() / 30_000) === step) await new Promise((r) => setTimeout(r, 500));
    const again = await signInToPortal(env.browser, env.app.url, 'requester@demo.bulwark.test', { code: () => totp.generate() });
    await again.screenshot({ path: join(SCREENSHOTS, 'console-2fa-signed-in.png') });
    await again.context().close();
  }, 120_000);

  it('an admin signs everyone out and another browser is sent to sign-in', async () => {
    const other = await signIn('agent@demo.bulwark.test');
    const admin = await signIn('admin@demo.bulwark.test');
    await admin.getByRole('menuitem', { name: 'Sign-in & sessions' }).click();
    await admin.getByRole('button', { name: 'Sign everyone out' }).click();
    await thenExpect(admin, admin.getByText(/Signed out \d+ session/), 'sign-everyone-out');
    // the other browser's next request (or its session check) finds the session gone
    await other.getByRole('menuitem', { name: 'Tickets' }).click();
    await other.getByRole('form', { name: 'Sign in' }).waitFor({ timeout: 30_000 });
    await other.screenshot({ path: join(SCREENSHOTS, 'console-signed-out.png') });
    // the admin's own session stays
    await admin.getByRole('menuitem', { name: 'Tickets' }).click();
    await admin.locator('tbody tr').first().waitFor();
    await other.context().close();
    await admin.context().close();
  });
});
