/**
 * Single sign-on in headless Chromium (issue 17), on the app as `npm start` runs it (demo tenant),
 * reached at its public URL (localhost), where the identity providers send people back:
 * - the demo admin sets up a JWT connection with a secret generated in the page and a role and
 *   group mapping checked in the preview; the sign-in page sends an address of its domain to the
 *   partner's sign-in page, and a JWT signed with that secret signs a new person in;
 * - the sign-in page says when single sign-on failed, and offers the buttons beside the password;
 * - a SCIM token made on the page provisions through /scim/v2 and nothing else, until revoked;
 * - a SAML connection is made from an uploaded metadata file (a file the server cannot use is
 *   refused with its reason under the file button);
 * - against a real OpenID Provider (oidc-provider, on loopback): the admin creates an OIDC
 *   connection, gives the provider our URLs, tests it, and requires single sign-on for agents; the
 *   agent's password is refused, the agent signs in through the provider, and when the provider
 *   logs them out (back-channel) the console returns to the sign-in page.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { startOidcProvider, type TestOidcProvider } from '../../../libs/sso/api/src/oidc-provider.fixture';
import { SamlIdp } from '../../../libs/sso/api/src/saml-idp.fixture';
import { chromiumPath, DEMO_PASSWORD, gqlInPage, SCREENSHOTS, signInToConsole, useConsoleApp } from '../../../tools/e2e/harness';

const executable = chromiumPath();
const maybe = executable ? describe : describe.skip;
const ADMIN = 'admin@demo.bulwark.test';
const AGENT = 'agent@demo.bulwark.test';
const PARTNER_LOGIN = 'http://sso.partner.test/login';

maybe('single sign-on in the console', () => {
  const env = useConsoleApp(executable as string);
  // The address the server names in its URLs (BULWARK_PUBLIC_URL's default): providers send
  // the browser back there, so the console is used there too.
  const site = () => env.app.url.replace('127.0.0.1', 'localhost');

  /** Waits for `what`; on failure saves a screenshot named after the step, to see why. */
  async function expectOn(page: Page, step: string, what: () => Promise<unknown>) {
    try {
      await what();
    } catch (e) {
      await page.screenshot({ path: join(SCREENSHOTS, `failed-sso-${step}.png`), fullPage: true }).catch(() => undefined);
      throw e;
    }
  }

  /**
   * A screenshot of the whole page as a person scrolling it sees it: the window made as tall as
   * the page first (a full-page capture would paint the fixed app bar and sidebar mid-page).
   */
  async function shoot(page: Page, name: string) {
    const size = page.viewportSize() ?? { width: 1400, height: 900 };
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    if (height > size.height) await page.setViewportSize({ width: size.width, height });
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), animations: 'disabled' });
    if (height > size.height) await page.setViewportSize(size);
  }

  /** After a sensitive action: answers the password prompt if it comes, then waits for the outcome. */
  async function thenExpect(page: Page, outcome: ReturnType<Page['getByText']>, step: string) {
    const dialog = page.getByRole('dialog', { name: 'Confirm it is you' });
    await expectOn(page, step, () => dialog.or(outcome).first().waitFor({ timeout: 15_000 }));
    if (await dialog.isVisible()) {
      await dialog.getByLabel('Your password').fill(DEMO_PASSWORD);
      await dialog.getByRole('button', { name: 'Confirm' }).click();
      await dialog.waitFor({ state: 'hidden' });
    }
    await expectOn(page, step, () => outcome.first().waitFor({ timeout: 15_000 }));
  }

  /** A browser that is signed in nowhere, at the console's sign-in page. */
  async function anonymous(browser: Browser, hash = '#/login'): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    // Offline: the provider's page asks for a web font.
    await context.route('https://fonts.googleapis.com/**', (r) => r.abort());
    const page = await context.newPage();
    await page.goto(`${site()}/${hash}`);
    return page;
  }

  /** The URL of ours labelled `label` on a connection's page. */
  const endpoint = async (page: Page, label: RegExp) =>
    (await page.getByRole('table', { name: 'Our URLs for the provider' }).getByRole('row', { name: label }).getByTestId('endpoint-url').innerText()).trim();

  it('sets up a JWT connection: generated secret, mapping preview, domain routing and a first sign-in', async () => {
    const admin = await signInToConsole(env.browser, site(), ADMIN);
    // A group for the mapping to put people in.
    expect((await gqlInPage(admin, 'mutation { createTicketGroup(input: { name: "Support", memberIds: [] }) { id } }')).errors).toBeUndefined();
    await admin.getByRole('menuitem', { name: 'Single sign-on' }).click();
    await expectOn(admin, 'list-empty', () => admin.getByText('No connections yet.').waitFor({ timeout: 15_000 }));
    await admin.getByRole('checkbox', { name: 'Agent', exact: true }).waitFor();
    await admin.getByText('No SCIM tokens yet.').waitFor();
    await shoot(admin, 'sso-list-empty');

    await admin.getByRole('button', { name: 'New connection' }).click();
    await admin.getByRole('menuitem', { name: 'JWT' }).click();
    await admin.getByRole('heading', { name: 'New JWT connection' }).waitFor();

    // Saving an empty form: each field says what it needs, in words of ours.
    await admin.getByRole('button', { name: 'Create connection' }).click();
    await admin.getByText('Give the connection a name of up to 80 characters').waitFor();
    await admin.getByText('Enter the URL of your sign-in page, like https://example.com/sso/login').waitFor();
    await admin.getByText('Enter the shared secret, or use Generate').waitFor();
    await shoot(admin, 'sso-jwt-form-errors');

    await admin.getByLabel('Name', { exact: true }).fill('Partner portal');
    await admin.getByLabel('Remote login URL').fill(PARTNER_LOGIN);
    await admin.getByRole('button', { name: 'Generate' }).click();
    const secret = await admin.getByTestId('jwt-secret').inputValue();
    expect(secret).toMatch(/^[A-Za-z0-9]{48}$/);
    await admin.getByText('never shown again').first().waitFor();
    await admin.getByLabel('Domains', { exact: true }).fill('partner.test');
    // Mapping: the "roles" claim's helpdesk makes agents; the "groups" claim's support, the Support group.
    await admin.getByLabel('Claim holding roles').fill('roles');
    await admin.getByRole('button', { name: 'Add a role rule' }).click();
    await admin.getByLabel('When the claim holds').first().fill('helpdesk');
    await admin.getByLabel('Claim holding groups').fill('groups');
    await admin.getByRole('button', { name: 'Add a group rule' }).click();
    await admin.getByLabel('When the claim holds').nth(1).fill('support');
    await admin.getByLabel('Sample claims').fill(JSON.stringify({ email: 'pat@partner.test', roles: ['helpdesk'], groups: ['support', 'sales'] }));
    await admin.getByRole('button', { name: 'Preview' }).click();
    const preview = admin.getByTestId('mapping-preview');
    await expectOn(admin, 'preview', () => preview.waitFor({ timeout: 15_000 }));
    expect(await preview.innerText()).toMatch(/Role: Agent\s+Groups: Support\s*$/);
    await shoot(admin, 'sso-jwt-form');

    await admin.getByRole('button', { name: 'Create connection' }).click();
    await thenExpect(admin, admin.getByRole('heading', { name: 'Partner portal' }), 'create-jwt');
    const jwtEndpoint = await endpoint(admin, /JWT endpoint/);
    expect(jwtEndpoint).toMatch(new RegExp(`^${site()}/api/sso/demo/[0-9a-f-]{36}/jwt$`));
    await admin.getByRole('button', { name: 'Test connection' }).click();
    const result = admin.getByTestId('test-result');
    await expectOn(admin, 'test-jwt', () => result.getByText('The provider answers as a sign-in needs.').waitFor({ timeout: 15_000 }));
    expect(await result.innerText()).toContain('Shared secret: ok');
    await shoot(admin, 'sso-jwt-created');

    await admin.getByRole('link', { name: 'Single sign-on' }).first().click();
    const row = admin.getByRole('table', { name: 'Single sign-on connections' }).getByRole('row', { name: /Partner portal/ });
    await expectOn(admin, 'listed', () => row.waitFor({ timeout: 15_000 }));
    expect(await row.innerText()).toMatch(/Partner portal\s+JWT\s+On\s+Button shown\s+partner\.test/);
    await shoot(admin, 'sso-list');
    await admin.context().close();

    // Someone at partner.test: the sign-in page sends them to the partner's sign-in page.
    const pat = await anonymous(env.browser);
    let partnerUrl = '';
    await pat.context().route(`${PARTNER_LOGIN}**`, (r) => {
      partnerUrl = r.request().url();
      return r.fulfill({ contentType: 'text/html', body: '<title>Partner sign-in</title><h1>Partner sign-in</h1>' });
    });
    await pat.getByLabel('Workspace').fill('demo');
    await pat.getByLabel('Email').fill('pat@partner.test');
    await pat.getByRole('button', { name: 'Continue', exact: true }).click();
    await expectOn(pat, 'to-partner', () => pat.getByRole('heading', { name: 'Partner sign-in' }).waitFor({ timeout: 15_000 }));
    expect(partnerUrl.startsWith(`${PARTNER_LOGIN}?return_to=`) || partnerUrl === PARTNER_LOGIN).toBe(true);

    // The partner's page signs Pat in and sends the browser back with a token signed with the secret.
    const token = await new SignJWT({ email: 'pat@partner.test', name: 'Pat Partner', external_id: 'pat-1', roles: ['helpdesk'], groups: ['support'] })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .setJti(randomUUID())
      .sign(new TextEncoder().encode(secret));
    await pat.goto(`${jwtEndpoint}?jwt=${token}`);
    await expectOn(pat, 'jwt-signed-in', () => pat.getByText('Welcome, Pat Partner').waitFor({ timeout: 30_000 }));
    // Mapped as the rules say: an agent (who sees tickets), in Support.
    const me = await gqlInPage<{ me: { role: string } }>(pat, '{ me { role } }');
    expect(me.data.me.role).toBe('agent');
    await shoot(pat, 'sso-jwt-signed-in');
    await pat.context().close();
  }, 180_000);

  it('the sign-in page says when single sign-on failed, and offers the buttons beside the password', async () => {
    const page = await anonymous(env.browser, '#/login?sso=failed');
    await page.getByText('Single sign-on did not complete. Try again, or ask your administrator.').waitFor({ timeout: 15_000 });
    await shoot(page, 'sso-login-failed');
    await page.getByLabel('Workspace').fill('demo');
    await page.getByLabel('Email').fill(AGENT);
    await page.getByRole('button', { name: 'Continue', exact: true }).click();
    await page.getByLabel('Password').waitFor();
    await page.getByRole('button', { name: 'Continue with Partner portal' }).waitFor();
    await shoot(page, 'sso-login-password-step');
    // "Change" goes back to the first step, the workspace kept.
    await page.getByRole('button', { name: 'Change workspace or email' }).click();
    expect(await page.getByLabel('Workspace').inputValue()).toBe('demo');
    await page.context().close();

    // An address of a domain served by a connection skips the password, unless asked for it (break-glass).
    const glass = await anonymous(env.browser, '#/login?with=password');
    await glass.getByLabel('Workspace').fill('demo');
    await glass.getByLabel('Email').fill('pat@partner.test');
    await glass.getByRole('button', { name: 'Continue', exact: true }).click();
    await glass.getByLabel('Password').waitFor();
    await glass.getByRole('button', { name: 'Continue with Partner portal' }).waitFor();
    await glass.context().close();
  });

  it('makes a SCIM token that can only provision, shown once, which the SCIM API takes until it is revoked', async () => {
    const admin = await signInToConsole(env.browser, site(), ADMIN);
    await admin.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: site() });
    await admin.getByRole('menuitem', { name: 'Single sign-on' }).click();
    const scim = admin.getByRole('region', { name: 'SCIM provisioning' });
    await expectOn(admin, 'scim', () => scim.getByText('No SCIM tokens yet.').waitFor({ timeout: 15_000 }));
    const base = (await scim.getByTestId('scim-base-url').innerText()).trim();
    expect(base).toBe(`${site()}/scim/v2`);

    await scim.getByRole('button', { name: 'New SCIM token' }).click();
    const form = admin.getByRole('dialog', { name: 'New SCIM token' });
    await form.getByRole('textbox', { name: 'Name' }).fill('Okta SCIM');
    await shoot(admin, 'sso-scim-new');
    await form.getByRole('button', { name: 'Create token' }).click();
    const shown = admin.getByRole('dialog', { name: 'Your SCIM token' });
    await thenExpect(admin, shown.getByText('it will not be shown again'), 'scim-create');
    const token = (await shown.getByTestId('scim-token').innerText()).trim();
    await shown.getByRole('button', { name: 'Copy the SCIM token' }).click();
    expect(await admin.evaluate(() => navigator.clipboard.readText())).toBe(token);
    await shoot(admin, 'sso-scim-shown-once');
    await shown.getByRole('button', { name: 'I have copied it' }).click();
    await shown.waitFor({ state: 'hidden' });

    const row = scim.getByRole('table', { name: 'SCIM tokens' }).getByRole('row', { name: /Okta SCIM/ });
    await expectOn(admin, 'scim-listed', () => row.getByText('Active').waitFor({ timeout: 15_000 }));
    expect(await scim.innerText()).not.toContain(token);

    // The provider, calling the SCIM API with it: provisioning answers; the rest of the API does not.
    const users = await fetch(`${base}/Users`, { headers: { authorization: `Bearer ${token}` } });
    expect(users.status).toBe(200);
    const graphql = await fetch(`${site()}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: '{ tickets { totalCount } }' }),
    });
    expect(((await graphql.json()) as { errors?: { extensions?: { code?: string } }[] }).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    await shoot(admin, 'sso-scim-list');

    await row.getByRole('button', { name: 'Revoke Okta SCIM' }).click();
    await admin.getByRole('dialog', { name: 'Revoke the SCIM token Okta SCIM?' }).getByRole('button', { name: 'Revoke' }).click();
    await expectOn(admin, 'scim-revoked', () => row.getByText('Revoked').waitFor({ timeout: 15_000 }));
    expect((await fetch(`${base}/Users`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    await admin.context().close();
  }, 120_000);

  it('sets up a SAML connection from an uploaded metadata file, refusing one without a signing certificate', async () => {
    const idp = new SamlIdp('corp');
    const admin = await signInToConsole(env.browser, site(), ADMIN);
    await admin.getByRole('menuitem', { name: 'Single sign-on' }).click();
    await admin.getByRole('button', { name: 'New connection' }).click();
    await admin.getByRole('menuitem', { name: 'SAML 2.0' }).click();
    await admin.getByLabel('Name', { exact: true }).fill('Corp SAML');
    const file = (xml: string) => ({ name: 'corp-idp-metadata.xml', mimeType: 'application/xml', buffer: Buffer.from(xml) });

    // Metadata the server cannot use: its reason shows under the file button.
    await admin.getByLabel('Metadata file', { exact: true }).setInputFiles(file(idp.metadata({ omit: 'certificate' })));
    await admin.getByText('corp-idp-metadata.xml will be read when you save').waitFor();
    await admin.getByRole('button', { name: 'Create connection' }).click();
    await thenExpect(admin, admin.getByText(/The metadata holds no signing certificate/), 'saml-no-certificate');
    await shoot(admin, 'sso-saml-refused');

    await admin.getByLabel('Metadata file', { exact: true }).setInputFiles(file(idp.metadata()));
    await admin.getByRole('button', { name: 'Create connection' }).click();
    await thenExpect(admin, admin.getByRole('heading', { name: 'Corp SAML' }), 'create-saml');
    // What was read from the metadata, and our URLs for the provider.
    await admin.getByText(`Certificate SHA-256 ${idp.fingerprint}`).waitFor();
    expect(await endpoint(admin, /Assertion Consumer Service URL/)).toMatch(new RegExp(`^${site()}/api/sso/demo/[0-9a-f-]{36}/`));
    await admin.getByRole('button', { name: 'Test connection' }).click();
    const result = admin.getByTestId('test-result');
    await expectOn(admin, 'test-saml', () => result.getByText('Signing certificates: ok').waitFor({ timeout: 15_000 }));
    await shoot(admin, 'sso-saml-created');
    await admin.context().close();
  }, 120_000);

  describe('with an OpenID Provider', () => {
    let provider: TestOidcProvider;
    beforeAll(async () => {
      provider = await startOidcProvider();
    });
    afterAll(async () => {
      await provider?.close();
    });

    it('an admin connects the provider and requires it for agents; the agent signs in there, and its logout ends the console session', async () => {
      const admin = await signInToConsole(env.browser, site(), ADMIN);
      await admin.getByRole('menuitem', { name: 'Single sign-on' }).click();
      await admin.getByRole('button', { name: 'New connection' }).click();
      await admin.getByRole('menuitem', { name: 'OpenID Connect' }).click();
      await admin.getByLabel('Name', { exact: true }).fill('Test IdP');
      await admin.getByLabel('Issuer URL').fill(provider.issuer);
      await admin.getByLabel('Client ID').fill('bulwark-demo');
      await admin.getByLabel('Client secret').fill('a client secret of the test provider');
      // The agent has an account already: the provider's verified email links it.
      await admin.getByLabel(/Link an existing account/).check();
      // A domain another connection serves: the server's refusal shows on the field.
      await admin.getByLabel('Domains', { exact: true }).fill('partner.test');
      await admin.getByRole('button', { name: 'Create connection' }).click();
      await thenExpect(admin, admin.getByText('partner.test is already served by the connection "Partner portal"'), 'domain-taken');
      expect(await admin.getByLabel('Domains', { exact: true }).getAttribute('aria-invalid')).toBe('true');
      await shoot(admin, 'sso-oidc-domain-taken');
      // The agent's own domain: linking takes only addresses of the connection's domains.
      await admin.getByLabel('Domains', { exact: true }).fill('demo.bulwark.test');
      await shoot(admin, 'sso-oidc-form');
      await admin.getByRole('button', { name: 'Create connection' }).click();
      await thenExpect(admin, admin.getByRole('heading', { name: 'Test IdP' }), 'create-oidc');

      // The admin gives the provider our URLs, as its app registration asks.
      const redirectUri = await endpoint(admin, /Redirect URI/);
      const backchannelUri = await endpoint(admin, /Back-channel logout URI/);
      expect(redirectUri).toMatch(/\/callback$/);
      provider.registerClient({ clientId: 'bulwark-demo', clientSecret: 'a client secret of the test provider', redirectUris: [redirectUri], backchannelLogoutUri: backchannelUri });
      provider.addAccount('alan-7', { email: AGENT, email_verified: true, name: 'Alan Agent' });

      await admin.getByRole('button', { name: 'Test connection' }).click();
      const result = admin.getByTestId('test-result');
      await expectOn(admin, 'test-oidc', () => result.getByText('The provider answers as a sign-in needs.').waitFor({ timeout: 20_000 }));
      for (const check of ['Discovery', 'Issuer', 'PKCE', 'Signing keys', 'Back-channel logout', 'Switched on']) expect(await result.innerText()).toContain(`${check}: ok`);
      await shoot(admin, 'sso-oidc-tested');

      // Agents must use single sign-on from now on.
      await admin.getByRole('link', { name: 'Single sign-on' }).first().click();
      const enforcement = admin.getByRole('region', { name: 'Who must use single sign-on' });
      await expectOn(admin, 'enforcement', () => enforcement.getByRole('checkbox', { name: 'Agent', exact: true }).check({ timeout: 15_000 }));
      await enforcement.getByRole('button', { name: 'Save requirement' }).click();
      await thenExpect(admin, admin.getByText('Single sign-on requirement saved'), 'enforce');
      await shoot(admin, 'sso-enforcement');
      await admin.context().close();

      // The agent's password is refused, with the way in beside it. (Their domain now goes straight
      // to the provider; the break-glass address keeps the password form, as someone may try it.)
      const agent = await anonymous(env.browser, '#/login?with=password');
      await agent.getByLabel('Workspace').fill('demo');
      await agent.getByLabel('Email').fill(AGENT);
      await agent.getByRole('button', { name: 'Continue', exact: true }).click();
      await agent.getByLabel('Password').fill(DEMO_PASSWORD);
      await agent.getByRole('button', { name: 'Sign in' }).click();
      await expectOn(agent, 'refused', () => agent.getByText(/signs you in with single sign-on/).waitFor({ timeout: 15_000 }));
      await shoot(agent, 'sso-password-refused');

      // Through the provider: its login page, its consent page, and back to the console.
      await agent.getByRole('button', { name: 'Continue with Test IdP' }).click();
      await expectOn(agent, 'provider-login', () => agent.locator('input[name="login"]').waitFor({ timeout: 15_000 }));
      await agent.locator('input[name="login"]').fill('alan-7');
      await agent.locator('input[name="password"]').fill('any password');
      await shoot(agent, 'sso-provider-login');
      await agent.getByRole('button', { name: 'Sign-in' }).click();
      await expectOn(agent, 'provider-consent', () => agent.getByRole('button', { name: 'Continue' }).click({ timeout: 15_000 }));
      await expectOn(agent, 'oidc-signed-in', () => agent.getByText('Welcome, Alan Agent').waitFor({ timeout: 30_000 }));
      await agent.getByRole('menuitem', { name: 'Tickets' }).waitFor();
      await shoot(agent, 'sso-agent-signed-in');

      // A sensitive change asks who it is (B8). With no password to give, the provider confirms:
      // it asks again (prompt=login), and the console comes back to the same page.
      await agent.getByRole('menuitem', { name: 'My account' }).click();
      // No password form for someone who has no password to use.
      await expectOn(agent, 'no-password-form', () => agent.getByText('Your workspace signs you in with single sign-on', { exact: false }).waitFor({ timeout: 15_000 }));
      expect(await agent.getByLabel('Current password').count()).toBe(0);
      await agent.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
      const confirm = agent.getByRole('dialog', { name: 'Confirm it is you' });
      await expectOn(agent, 'reauth-dialog', () => confirm.getByRole('button', { name: 'Sign in again with Test IdP' }).waitFor({ timeout: 15_000 }));
      await shoot(agent, 'sso-reauth-dialog');
      await confirm.getByRole('button', { name: 'Sign in again with Test IdP' }).click();
      await expectOn(agent, 'provider-asks-again', () => agent.locator('input[name="login"]').waitFor({ timeout: 15_000 }));
      await agent.locator('input[name="login"]').fill('alan-7');
      await agent.locator('input[name="password"]').fill('any password');
      await agent.getByRole('button', { name: 'Sign-in' }).click();
      await expectOn(agent, 'back-on-account', () => agent.getByRole('button', { name: 'Set up two-factor sign-in' }).waitFor({ timeout: 30_000 }));
      expect(agent.url()).toMatch(/#\/account$/);
      await agent.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
      await expectOn(agent, 'enrolment-started', () => agent.getByText('Scan this code with your authenticator app', { exact: false }).waitFor({ timeout: 15_000 }));

      // The provider ends the session: back-channel logout, and the console goes to sign-in.
      await provider.logout('alan-7');
      await expectOn(agent, 'logged-out', () => agent.getByRole('form', { name: 'Sign in' }).waitFor({ timeout: 45_000 }));
      await agent.getByText('Your session has ended. Sign in again to continue.').waitFor();
      await shoot(agent, 'sso-provider-logged-out');
      await agent.context().close();
    }, 240_000);
  });
});
