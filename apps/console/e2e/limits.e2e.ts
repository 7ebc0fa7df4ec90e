/**
 * Issue 18's console part in headless Chromium, on the app as `npm start` runs it (demo tenant):
 * an admin opens Rate limits, is told the platform's maximum when asking for more, saves a budget
 * after the password prompt (B8), and the API's own answers then carry it (H4). An agent has no
 * such menu entry.
 */
import { join } from 'node:path';
import { chromiumPath, DEMO_PASSWORD, gqlInPage, SCREENSHOTS, signInToConsole, useConsoleApp } from '../../../tools/e2e/harness';

const executable = chromiumPath();
const maybe = executable ? describe : describe.skip;

maybe('rate limits in the console', () => {
  const env = useConsoleApp(executable as string);

  it('H4 an admin sets the workspace’s budget for each person, within the platform’s maximum', async () => {
    const page = await signInToConsole(env.browser, env.app.url, 'admin@demo.bulwark.test');
    try {
      await page.getByRole('menuitem', { name: 'Rate limits' }).click();
      const person = page.getByLabel('Each person');
      await person.waitFor();
      await person.fill('99999999');
      await page.getByRole('button', { name: 'Save rate limits' }).click();
      const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
      await dialog.getByLabel('Your password').fill(DEMO_PASSWORD);
      await dialog.getByRole('button', { name: 'Confirm' }).click();
      await page.getByText(/from 1 to 1000000 points per minute/).first().waitFor({ timeout: 15_000 });
      await person.fill('2000');
      await page.getByRole('button', { name: 'Save rate limits' }).click();
      await page.getByText('Rate limits saved').waitFor({ timeout: 15_000 });
      await page.screenshot({ path: join(SCREENSHOTS, 'limits-saved.png'), fullPage: true });
      const me = await page.evaluate(async () => {
        const res = await fetch('/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ me { id } }' }) });
        return res.headers.get('ratelimit-policy');
      });
      expect(me).toMatch(/^"user";q=2000;w=60, "tenant";q=\d+;w=60$/);
      const read = await gqlInPage<{ rateLimits: { current: { perUser: number } } }>(page, '{ rateLimits { current { perUser } } }');
      expect(read.data.rateLimits.current.perUser).toBe(2000);
    } catch (e) {
      await page.screenshot({ path: join(SCREENSHOTS, 'failed-limits.png'), fullPage: true }).catch(() => undefined);
      throw e;
    }
    const agent = await signInToConsole(env.browser, env.app.url, 'agent@demo.bulwark.test');
    await agent.getByRole('menuitem', { name: 'Tickets' }).waitFor();
    expect(await agent.getByRole('menuitem', { name: 'Rate limits' }).count()).toBe(0);
  }, 120_000);
});
