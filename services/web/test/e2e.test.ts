/**
 * The sportsbook in a real browser: Debian's Chromium driven by playwright-core, through
 * nginx, against the whole stack (every service, PostgreSQL, Redis). Needs the SPA built
 * (`pnpm build` builds it; ./scripts/test runs that first) and /usr/bin/chromium
 * (`apt-get install chromium`; never `playwright install`, which downloads its own browser).
 * Writes the README's screenshots to docs/screenshots/.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot, startTestStack, type TestStack } from '@ludic/stack';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import t from 'tap';
import { INITIAL_JS_BUDGET_BYTES, measureInitialBundle } from '../scripts/bundle-size.js';

const distDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const screenshotDir = path.join(repoRoot, 'docs', 'screenshots');
const chromiumPath = process.env.LUDIC_CHROMIUM ?? '/usr/bin/chromium';
/** Waits in the browser; generous because two cores are shared with the whole stack. */
const UI_TIMEOUT_MS = 20_000;

const desktop: BrowserContextOptions = { viewport: { width: 1280, height: 860 }, locale: 'en-US', colorScheme: 'light', timezoneId: 'Europe/Moscow' };
const phone: BrowserContextOptions = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, locale: 'en-US', colorScheme: 'light', timezoneId: 'Europe/Moscow' };

const ADMIN = { email: 'admin@ludic.test', password: 'admin-password-1', name: 'Operator' };
const PLAYER = { email: 'alice@example.com', password: 'alice-password-1', name: 'Alice' };

async function post(stack: TestStack, url: string, body: unknown, token?: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${stack.url}${url}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const payload = (await response.json()) as Record<string, unknown>;
  if (!response.ok) throw new Error(`${url}: ${response.status} ${JSON.stringify(payload)}`);
  return payload;
}

function inHours(hours: number): string {
  return new Date(Date.now() + hours * 3600_000).toISOString();
}

async function shot(page: Page, name: string): Promise<void> {
  // Nothing animates in the app; a frame settles fonts and layout before the capture.
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => resolve(null))));
  await page.screenshot({ path: path.join(screenshotDir, `${name}.png`) });
}

async function login(page: Page, account: { email: string; password: string }): Promise<void> {
  await page.goto('/login');
  const form = page.getByTestId('login-form');
  await form.getByLabel('Email').fill(account.email);
  await form.getByLabel('Password').fill(account.password);
  await form.getByRole('button', { name: 'Log in' }).click();
  await page.getByTestId('balance').filter({ hasText: '₽' }).waitFor();
}

async function balanceIs(page: Page, text: string): Promise<void> {
  await page.getByTestId('balance').filter({ hasText: text }).waitFor();
}

t.test('the production build: hashed assets, initial JavaScript within budget', async (t) => {
  const size = measureInitialBundle(distDir);
  for (const file of size.files.filter((f) => f.file.startsWith('assets/'))) {
    t.match(file.file, /^assets\/[\w-]+-[\w-]{8}\.(js|css)$/, `${file.file} carries a content hash`);
  }
  t.comment(`initial JavaScript ${(size.initialJsGzip / 1024).toFixed(1)} KB gzipped, CSS ${(size.initialCssGzip / 1024).toFixed(1)} KB`);
  t.ok(size.initialJsGzip < INITIAL_JS_BUDGET_BYTES, 'initial JavaScript under 200 KB gzipped');
  t.ok(size.files.some((f) => f.file.endsWith('.js')), 'index.html loads the app');
});

t.test('a player bets, an admin settles, the player is paid live; themes, phones, errors', async (t) => {
  t.ok(existsSync(path.join(distDir, 'index.html')), 'the SPA is built (pnpm --filter @ludic/web build)');
  t.ok(existsSync(chromiumPath), `Chromium at ${chromiumPath} (apt-get install chromium)`);
  if (!existsSync(path.join(distDir, 'index.html')) || !existsSync(chromiumPath)) return;
  mkdirSync(screenshotDir, { recursive: true });

  // Access tokens that live 66 s: the client refreshes a minute ahead, so every ~6 s — the
  // quiet refresh runs during the test instead of after 14 minutes.
  const stack = await startTestStack(t, { env: { 'auth-gateway': { JWT_ACCESS_TTL_SECONDS: '66' } } });
  const browser: Browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-gpu', '--no-first-run', '--disable-sync'],
  });
  t.teardown(() => browser.close());
  const pageErrors: string[] = [];
  const newPage = async (options: BrowserContextOptions) => {
    const context = await browser.newContext({ ...options, baseURL: stack.url });
    context.setDefaultTimeout(UI_TIMEOUT_MS);
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    t.teardown(() => context.close());
    return page;
  };

  // Background fixtures through the API, so the screens have more than one event.
  const adminSession = (await post(stack, '/api/auth/register', ADMIN)) as { token: string };
  for (const [home, away, hours, odds] of [
    ['Real Madrid', 'Barcelona', 26, { home: '2.10', draw: '3.40', away: '3.30' }],
    ['Bayern', 'Dortmund', 50, { home: '1.75', draw: '4.00', away: '4.20' }],
  ] as const) {
    await post(stack, '/api/admin/events', { tournament: 'Champions League', round: 'Group stage', homeTeam: home, awayTeam: away, startsAt: inHours(hours), odds }, adminSession.token);
  }

  // The admin creates the event under test through the UI.
  const admin = await newPage(desktop);
  await login(admin, ADMIN);
  await admin.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Admin' }).click();
  const create = admin.getByTestId('create-event-form');
  await create.getByLabel('Tournament').fill('Premier League');
  await create.getByLabel('Round').fill('Matchday 12');
  await create.getByLabel('Home team').fill('Arsenal');
  await create.getByLabel('Away team').fill('Chelsea');
  await create.getByLabel('Odds 1').fill('2.5');
  await create.getByLabel('Odds X').fill('3.20');
  await create.getByLabel('Odds 2').fill('2.80');
  await create.getByRole('button', { name: 'Create event' }).click();
  await admin.getByTestId('toast').filter({ hasText: 'Event created: Arsenal — Chelsea' }).waitFor();
  const adminEvent = admin.locator('[data-testid="admin-event"][data-event="Arsenal — Chelsea"]');
  await adminEvent.waitFor();

  // A new player registers, tops up with a confirmation, and bets.
  const player = await newPage(desktop);
  await player.goto('/register');
  const register = player.getByTestId('register-form');
  await register.getByRole('button', { name: 'Sign up' }).click();
  await register.getByText('Enter an email address like name@example.com.').waitFor();
  t.pass('an empty form is explained before any request');
  await register.getByLabel('Name').fill(PLAYER.name);
  await register.getByLabel('Email').fill(PLAYER.email);
  await register.getByLabel('Password').fill(PLAYER.password);
  await register.getByRole('button', { name: 'Sign up' }).click();
  await balanceIs(player, '1,000.00');
  t.pass('registered; the opening balance shows');

  await player.getByRole('button', { name: 'Top up' }).click();
  await player.getByRole('dialog').getByLabel(/Amount/).fill('500');
  await player.getByRole('dialog').getByRole('button', { name: 'Continue' }).click();
  const confirmTopUp = player.getByRole('alertdialog');
  await confirmTopUp.getByText('Add 500.00 ₽ to your balance?').waitFor();
  await confirmTopUp.getByRole('button', { name: 'Yes, top up' }).click();
  await balanceIs(player, '1,500.00');
  t.pass('topped up after confirming');

  const card = player.locator('[data-testid="event-card"][data-event="Arsenal — Chelsea"]');
  await card.locator('[data-selection="home"]').click();
  const slip = player.getByTestId('bet-slip').first();
  await slip.getByLabel(/Stake/).fill('100');
  await slip.getByTestId('slip-win').filter({ hasText: '250.00' }).waitFor();
  t.pass('the slip shows the potential win before confirming');
  await shot(player, 'desktop-light-events');
  await slip.getByRole('button', { name: 'Place bet' }).click();
  await player.getByTestId('toast').filter({ hasText: 'Bet placed' }).first().waitFor();
  await balanceIs(player, '1,400.00');

  // Odds move between the player's pick and the confirmation.
  await card.locator('[data-selection="away"]').click();
  await slip.getByLabel(/Stake/).fill('100');
  await adminEvent.getByTestId('odds-form').getByLabel('Odds 2').fill('3.00');
  await adminEvent.getByRole('button', { name: 'Save odds' }).click();
  await admin.getByTestId('toast').filter({ hasText: 'Odds updated' }).waitFor();
  await slip.getByRole('button', { name: 'Place bet' }).click();
  const changed = slip.getByTestId('odds-changed');
  await changed.getByText('moved from 2.80 to 3.00').waitFor();
  t.pass('ODDS_CHANGED shows the new odds');
  await shot(player, 'desktop-light-odds-changed');
  await changed.getByRole('button', { name: 'Accept new odds' }).click();
  await slip.getByTestId('slip-odds').filter({ hasText: '3.00' }).waitFor();
  await slip.getByTestId('slip-win').filter({ hasText: '300.00' }).waitFor();
  await slip.getByRole('button', { name: 'Place bet' }).click();
  await balanceIs(player, '1,300.00');
  t.pass('accepted the new odds and placed the bet');

  // More than the balance: the slip warns, the server refuses, the player is told why.
  await card.locator('[data-selection="draw"]').click();
  await slip.getByLabel(/Stake/).fill('5000');
  await slip.getByText('This is more than your balance of 1,300.00 ₽.').waitFor();
  await slip.getByRole('button', { name: 'Place bet' }).click();
  await slip.getByTestId('slip-error').getByText('Your balance does not cover this stake.', { exact: false }).waitFor();
  await balanceIs(player, '1,300.00');
  t.pass('INSUFFICIENT_FUNDS is explained and nothing is taken');
  await slip.getByRole('button', { name: 'Remove selection' }).click();

  // The admin starts and settles the match; the player's page must update by itself.
  await player.evaluate(() => {
    (window as unknown as { notReloaded: boolean }).notReloaded = true;
  });
  await adminEvent.getByRole('button', { name: 'Start (live)' }).click();
  await adminEvent.getByTestId('admin-status').filter({ hasText: 'Live' }).waitFor();
  await adminEvent.getByRole('button', { name: 'Settle' }).click();
  const settle = admin.getByRole('alertdialog');
  await settle.getByLabel('Result').selectOption('home');
  await settle.getByLabel('Home goals').fill('2');
  await settle.getByLabel('Away goals').fill('1');
  await shot(admin, 'desktop-light-admin-settle');
  await settle.getByRole('button', { name: 'Settle event' }).click();
  await admin.getByTestId('toast').filter({ hasText: 'settled: 1 won, 1 lost' }).waitFor();

  await player.getByTestId('toast').filter({ hasText: 'You won 250.00 ₽ on Arsenal — Chelsea!' }).waitFor();
  await balanceIs(player, '1,550.00');
  t.equal(await player.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded), true, 'the toast and the new balance came without a reload');
  const quietRefresh = await player.waitForResponse((response) => response.url().endsWith('/api/auth/refresh'));
  t.equal(quietRefresh.status(), 200, 'the access token is refreshed quietly before it expires');

  await player.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'My bets' }).click();
  await player.locator('[data-testid="bet-row"]').nth(1).waitFor();
  t.same(await player.locator('[data-testid="bet-row"]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-status'))), ['lost', 'won'], 'newest first: the lost away bet, the won home bet');
  await player.getByRole('radio', { name: 'Won' }).click();
  await player.locator('[data-testid="bet-row"][data-status="won"]').waitFor();
  t.equal(await player.locator('[data-testid="bet-row"]').count(), 1, 'the status filter asks the server for won bets only');
  await player.getByRole('radio', { name: 'All' }).click();

  // Dark theme: chosen once, still there after a reload (which also resumes the session).
  await player.getByTestId('theme-toggle').first().click();
  t.equal(await player.evaluate(() => document.documentElement.classList.contains('dark')), true, 'dark after one click on a light system');
  await player.reload();
  await balanceIs(player, '1,550.00');
  t.equal(await player.evaluate(() => document.documentElement.classList.contains('dark')), true, 'still dark after a reload');
  await player.locator('[data-testid="bet-row"]').nth(1).waitFor();
  await shot(player, 'desktop-dark-bets');
  await player.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Events' }).click();
  await player.locator('[data-testid="event-card"][data-event="Real Madrid — Barcelona"] [data-selection="draw"]').click();
  await player.getByTestId('bet-slip').first().getByLabel(/Stake/).fill('50');
  await shot(player, 'desktop-dark-events');

  // A 360 px phone: the sidebar is a menu, nothing scrolls sideways.
  const mobile = await newPage(phone);
  await login(mobile, PLAYER);
  t.equal(await mobile.getByRole('complementary').filter({ has: mobile.getByRole('navigation') }).isVisible(), false, 'no sidebar on a phone');
  t.ok(await mobile.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no horizontal scrolling at 360 px');
  await mobile.locator('[data-testid="event-card"][data-event="Bayern — Dortmund"] [data-selection="home"]').click();
  await mobile.getByTestId('bet-slip').last().getByLabel(/Stake/).fill('20');
  await mobile.getByTestId('bet-slip').last().getByTestId('slip-win').filter({ hasText: '35.00' }).waitFor();
  await shot(mobile, 'phone-light-events');
  await mobile.getByTestId('bet-slip').last().getByRole('button', { name: 'Remove selection' }).click();
  await mobile.getByTestId('menu-button').click();
  const menu = mobile.getByRole('dialog', { name: 'Menu' });
  await menu.getByRole('link', { name: 'My bets' }).waitFor();
  await shot(mobile, 'phone-light-menu');
  await menu.getByTestId('theme-toggle').click();
  await menu.getByRole('link', { name: 'My bets' }).click();
  await mobile.locator('[data-testid="bet-row"]').nth(1).waitFor();
  t.equal(await mobile.evaluate(() => document.documentElement.classList.contains('dark')), true, 'the theme switch works from the phone menu');
  await shot(mobile, 'phone-dark-bets');

  // Russian, switchable at any time; then logout ends the session for good.
  await mobile.getByTestId('menu-button').click();
  await mobile.getByRole('dialog').getByLabel('Language').selectOption('ru');
  await mobile.getByRole('dialog').getByRole('link', { name: 'События' }).click();
  await mobile.getByRole('heading', { name: 'Ближайшие события' }).waitFor();
  await balanceIs(mobile, '1\u202f550,00');
  await shot(mobile, 'phone-dark-events-ru');
  await mobile.getByRole('button', { name: 'Выйти' }).click();
  await mobile.getByRole('link', { name: 'Войти' }).waitFor();
  t.equal(await mobile.evaluate(() => localStorage.getItem('ludic.refreshToken')), null, 'logout forgets the refresh token');
  await mobile.reload();
  await mobile.getByRole('link', { name: 'Войти' }).waitFor();
  t.pass('after logout a reload stays signed out');
  t.same(pageErrors, [], 'no uncaught errors in any page');
});
