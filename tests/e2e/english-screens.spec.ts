// The English switch changes every label on every screen: no Japanese is left but the switch
// back, which names its language in that language.
import { test, expect } from '@playwright/test';
import { Backend, freePort } from './fixtures/backend';
import { SHOTS, SANDBOX_ACCOUNT, field, fillAccount, openScreen, visibleText, waitLive } from './fixtures/screens';

const JAPANESE = /[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]/;

test('every screen is English after the switch', async ({ page }) => {
  const backend = new Backend(await freePort());
  try {
    await page.goto(await backend.start());
    await waitLive(page);
    await page.getByTestId('lang-switch').click();
    await expect(page.getByRole('heading', { name: 'Main menu' })).toBeVisible();
    await page.getByTestId('menu-settings').click();
    expect((await visibleText(page)).match(JAPANESE)).toBeNull();
    for (const name of ['settings', 'console', 'points', 'phone', 'log', 'isp'] as const) {
      await openScreen(page, name);
      const text = await visibleText(page);
      expect(text.match(JAPANESE), `Japanese left on ${name}: ${text}`).toBeNull();
      await page.screenshot({ path: `${SHOTS}/${name}-english.png`, fullPage: true });
    }
    await openScreen(page, 'settings');
    await expect(page.getByLabel('5. SMTP service')).toBeVisible();
    await page.getByTestId('help-fields').click();
    await expect(page.getByTestId('help-screen')).toBeVisible();
    const help = await visibleText(page);
    expect(help.match(JAPANESE), `Japanese left on help: ${help}`).toBeNull();
    await expect(page.getByTestId('help-entry-err-timeout')).toContainText('OP25B');
    await page.screenshot({ path: `${SHOTS}/help-english.png` });
  } finally {
    await backend.dispose();
  }
});

/** Fails with the page's text when any Japanese is left on it. */
async function expectEnglish(page: import('@playwright/test').Page, where: string): Promise<void> {
  const text = await visibleText(page);
  expect(text.match(JAPANESE), `Japanese left on ${where}: ${text}`).toBeNull();
}

test('error states are English too: field errors, refusals, a failed login, a missing ISP', async ({ page }) => {
  test.setTimeout(120_000);
  const backend = new Backend(await freePort());
  try {
    await page.goto(await backend.start());
    await waitLive(page);
    await page.getByTestId('lang-switch').click();

    // Field errors and the cautions under the fields.
    await openScreen(page, 'settings');
    await field(page, 5).fill('smpt');
    await field(page, 1).fill('3');
    await field(page, 6).fill('pop.example.jp');
    await page.getByTestId('save').click();
    await expect(page.getByTestId('error-5')).toContainText('smpt');
    await expect(page.getByTestId('save-outcome')).toContainText('Nothing was saved');
    await expectEnglish(page, 'settings with errors');
    await page.screenshot({ path: `${SHOTS}/settings-errors-english.png`, fullPage: true });

    // A wrong password: frame (3) shows the error and its meaning in English.
    await fillAccount(page, 'not-the-password');
    await field(page, 1).fill('10');
    await page.getByTestId('save').click();
    await expect(page.getByTestId('save-outcome')).toHaveText(/^Saved/);
    await openScreen(page, 'console');
    await page.getByTestId('rst').click();
    await expect(page.getByTestId('status-display')).toHaveText('err pop login');
    await expectEnglish(page, 'console with err pop login');
    await page.screenshot({ path: `${SHOTS}/console-error-english.png`, fullPage: true });
    await page.getByTestId('status-help').click();
    await expect(page.getByTestId('help-entry-err-pop-login')).toContainText('9. E-mail user name');
    await expectEnglish(page, 'help at err pop login');

    // A value the plant refuses: the back end's reason in English.
    await openScreen(page, 'points');
    await page.getByTestId('sim-input-TEMP1').fill('5000000');
    await page.getByTestId('sim-set-TEMP1').click();
    await expect(page.getByTestId('points-outcome')).toContainText('The operation was refused.');
    await expectEnglish(page, 'points with a refusal');
    await page.screenshot({ path: `${SHOTS}/points-refused-english.png`, fullPage: true });
  } finally {
    await backend.dispose();
  }

  // Without the sandbox ISP the phone is refused, in English.
  const bare = new Backend(await freePort(), ['--no-sandbox']);
  try {
    await page.goto(await bare.start());
    await waitLive(page);
    // Another port is another origin, with its own saved language.
    await page.getByTestId('lang-switch').click();
    await expect(page.getByRole('heading', { name: 'Main menu' })).toBeVisible();
    await openScreen(page, 'phone');
    await page.getByTestId('phone-to').fill(SANDBOX_ACCOUNT.address);
    await page.getByTestId('phone-body').fill('LIST');
    await page.getByTestId('phone-send').click();
    await expect(page.getByTestId('phone-outcome')).toContainText('The sandbox ISP is turned off');
    await expect(page.getByTestId('phone-send')).toBeEnabled();
    await expectEnglish(page, 'phone without the sandbox');
    await page.screenshot({ path: `${SHOTS}/phone-refused-english.png`, fullPage: true });
    await openScreen(page, 'isp');
    await expectEnglish(page, 'ISP without the sandbox');
  } finally {
    await bare.dispose();
  }
});
