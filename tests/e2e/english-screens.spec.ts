// The English switch changes every label on every screen: no Japanese is left but the switch
// back, which names its language in that language.
import { test, expect } from '@playwright/test';
import {
  JAPANESE, SANDBOX_ACCOUNT, SHOTS, SUBMISSION, applyAccount, connStep, expectEnglish, field, fillFields, openScreen,
  openSimulator, runConnectionTest,
} from './fixtures/screens';

test('every screen is English after the switch', async ({ page }) => {
  const backend = await openSimulator(page);
  try {
    await page.getByTestId('lang-switch').click();
    await expect(page.getByRole('heading', { name: 'Main menu' })).toBeVisible();
    await page.getByTestId('menu-settings').click();
    await expectEnglish(page, 'the system menu');
    for (const name of ['settings', 'console', 'points', 'phone', 'log', 'isp'] as const) {
      await openScreen(page, name);
      await expectEnglish(page, name);
      await page.screenshot({ path: `${SHOTS}/${name}-english.png`, fullPage: true });
    }
    await openScreen(page, 'settings');
    await expect(page.getByLabel('5. SMTP service')).toBeVisible();
    await page.getByTestId('help-fields').click();
    await expect(page.getByTestId('help-screen')).toBeVisible();
    await expectEnglish(page, 'help');
    await expect(page.getByTestId('help-entry-err-timeout')).toContainText('OP25B');
    await page.screenshot({ path: `${SHOTS}/help-english.png` });
  } finally {
    await backend.dispose();
  }
});

test('error states are English too: field errors, refusals, a failed login, a missing ISP', async ({ page }) => {
  test.setTimeout(120_000);
  const backend = await openSimulator(page);
  try {
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
    await applyAccount(page, { 1: '10' }, 'not-the-password');
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
  const bare = await openSimulator(page, ['--no-sandbox']);
  try {
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

/** Switches the language and waits until the main heading or the screen title says so. */
async function switchTo(page: import('@playwright/test').Page, lang: 'ja' | 'en'): Promise<void> {
  await page.getByTestId('lang-switch').click();
  await expect(page.locator('html')).toHaveAttribute('lang', lang);
}

test('what the back end says follows the switch: frame (3), the connection test, the log, the hints', async ({ page }) => {
  test.setTimeout(120_000);
  const backend = await openSimulator(page);
  try {
    await switchTo(page, 'en');

    // A POP server on a port where the sandbox has no service: frame (3) keeps the error, and
    // its detail is the back end's sentence in the screen's language.
    await applyAccount(page, { 1: '10', 6: 'mail.sandbox.test:1234' });
    await expect(page.getByTestId('standing-error-code')).toHaveText('err refused');
    const detail = page.getByTestId('standing-error-detail');
    await expect(detail).toContainText('no sandbox service on that port');
    await expectEnglish(page, 'console with err refused');
    await page.screenshot({ path: `${SHOTS}/console-error-detail-english.png`, fullPage: true });
    await switchTo(page, 'ja');
    await expect(detail).toContainText('サンドボックスのサービスはありません');
    await expect(detail).not.toContainText('no sandbox service');
    await page.screenshot({ path: `${SHOTS}/console-error-detail-japanese.png`, fullPage: true });
    await switchTo(page, 'en');

    // The connection test with a wrong password and no encryption chosen: the TLS steps say TLS
    // is not used, as the choice made, not as a failure.
    await openScreen(page, 'settings');
    await fillFields(page, { 6: SANDBOX_ACCOUNT.pop, 10: 'not-the-password', ...SUBMISSION, 13: 'none', 14: 'none' });
    await runConnectionTest(page);
    await expect(connStep(page, 'PopLogin')).toHaveAttribute('data-outcome', 'failed');
    for (const [name, label] of [['PopTls', '13. POP connection security'], ['SmtpTls', '14. SMTP connection security']]) {
      await expect(connStep(page, name)).toHaveAttribute('data-outcome', 'skipped');
      // Not done, so no state of frame (3) beside it.
      await expect(connStep(page, name).getByTestId('conn-step-code')).toHaveCount(0);
      await expect(connStep(page, name).getByTestId('conn-step-detail')).toContainText(`TLS is not used (${label} is None (plaintext))`);
    }
    await expect(connStep(page, 'PopBeforeSmtp')).toContainText('11. PopBeforeSmtp is off');
    const steps = await page.getByTestId('conn-test').innerText();
    expect(steps.match(JAPANESE), `Japanese left in the connection test: ${steps}`).toBeNull();
    await page.getByTestId('conn-test').screenshot({ path: `${SHOTS}/conn-test-no-tls-english.png` });
    await switchTo(page, 'ja');
    await expect(connStep(page, 'PopTls').getByTestId('conn-step-detail')).toContainText('TLS は使いません（13.POP接続の暗号化 が「なし（平文）」）');
    await expect(connStep(page, 'PopBeforeSmtp')).toContainText('11.PopBeforeSmtp がオフのため行いません');
    await page.getByTestId('conn-test').screenshot({ path: `${SHOTS}/conn-test-no-tls-japanese.png` });
    await switchTo(page, 'en');

    // The engine's notes in the log: the test's own note too.
    await openScreen(page, 'log');
    await expect(page.getByTestId('log-lines')).toContainText('connection test');
    await expectEnglish(page, 'log after a connection test');
    await page.screenshot({ path: `${SHOTS}/log-english.png`, fullPage: true });

    // The DI says what raises its alarm, as the AI does.
    await openScreen(page, 'points');
    await expect(page.getByTestId('hint-DOOR1')).toHaveText('contact alarm when ON');
    await expect(page.getByTestId('hint-TEMP1')).toContainText('high alarm above');
    await expectEnglish(page, 'points with hints');
    await page.screenshot({ path: `${SHOTS}/points-hints-english.png`, fullPage: true });
    await switchTo(page, 'ja');
    await expect(page.getByTestId('hint-DOOR1')).toHaveText('ON で接点警報');
    await page.screenshot({ path: `${SHOTS}/points-hints-japanese.png`, fullPage: true });
  } finally {
    await backend.dispose();
  }
});
