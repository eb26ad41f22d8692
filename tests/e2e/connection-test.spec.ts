// 接続テスト on the settings screen tries the settings on the screen, step by step, without saving
// or applying them: a wrong password fails at the POP login and the SMTP AUTH with their codes and
// help, the right one passes every step and sends the test mail, in both languages, while the
// running settings keep running.
import { test, expect, Page } from '@playwright/test';
import { Backend, freePort } from './fixtures/backend';
import { SHOTS, SANDBOX_ACCOUNT, field, fillAccount, openScreen, save, waitLive } from './fixtures/screens';

/** The sandbox account on submission with SmtpAuthLogin, receiving off (nothing else logs in). */
async function submissionAccount(page: Page, password: string) {
  await fillAccount(page, password);
  await field(page, 1).fill('0');
  await field(page, 5).fill('submission');
  await field(page, 12).check();
  await field(page, 11).uncheck();
}

function step(page: Page, name: string) {
  return page.locator(`[data-testid=conn-step][data-step=${name}]`);
}

async function runTest(page: Page) {
  await page.getByTestId('conn-test-start').click();
  await expect(step(page, 'SmtpQuit')).toBeVisible({ timeout: 30_000 });
  await expect(page.getByTestId('conn-test-start')).toBeEnabled();
}

test('a wrong and a right password in the connection test, the running engine untouched', async ({ page }) => {
  test.setTimeout(90_000);
  const backend = new Backend(await freePort());
  try {
    await page.goto(await backend.start());
    await waitLive(page);
    await openScreen(page, 'settings');
    await submissionAccount(page, SANDBOX_ACCOUNT.password);
    await save(page);
    await openScreen(page, 'console');
    await page.getByTestId('rst').click();
    await expect(page.getByTestId('status-display')).toHaveText('stop');

    // A wrong password typed but not saved: the test uses it, nothing else does.
    await openScreen(page, 'settings');
    await field(page, 10).fill('wrong-pass');
    await runTest(page);
    await expect(step(page, 'PopConnect')).toHaveAttribute('data-outcome', 'passed');
    await expect(step(page, 'PopTls')).toHaveAttribute('data-outcome', 'passed');
    await expect(step(page, 'PopLogin')).toHaveAttribute('data-outcome', 'failed');
    await expect(step(page, 'PopLogin').getByTestId('conn-step-code')).toHaveText('err pop login');
    await expect(step(page, 'PopStat')).toHaveAttribute('data-outcome', 'not-tried');
    await expect(step(page, 'PopBeforeSmtp')).toHaveAttribute('data-outcome', 'skipped');
    await expect(step(page, 'SmtpConnect')).toHaveAttribute('data-outcome', 'passed');
    await expect(step(page, 'SmtpConnect').getByTestId('conn-step-code')).toHaveText('smtp connect');
    await expect(step(page, 'SmtpTls')).toHaveAttribute('data-outcome', 'passed');
    await expect(step(page, 'SmtpAuth')).toHaveAttribute('data-outcome', 'failed');
    await expect(step(page, 'SmtpAuth').getByTestId('conn-step-code')).toHaveText('err smtp auth (535)');
    await expect(page.getByTestId('conn-test-summary')).toContainText('失敗した段階があります');
    await expect(page.getByTestId('restart-needed')).toHaveCount(0);
    await page.getByTestId('conn-test').screenshot({ path: `${SHOTS}/conn-test-wrong-password.png` });
    await page.screenshot({ path: `${SHOTS}/settings-conn-test.png`, fullPage: true });

    // Its ? opens what the failure means.
    await step(page, 'PopLogin').getByTestId('conn-step-help').click();
    await expect(page).toHaveURL(/#help\/err-pop-login$/);
    await expect(page.getByTestId('help-entry-err-pop-login')).toBeInViewport();

    // The right password (the saved one: the input left empty), with a test mail.
    await page.getByTestId('help-to-settings').click();
    await expect(field(page, 10)).toHaveValue('');
    await page.getByTestId('conn-test-mail').check();
    await runTest(page);
    for (const name of ['PopConnect', 'PopTls', 'PopLogin', 'PopStat', 'PopQuit', 'SmtpConnect', 'SmtpTls', 'SmtpAuth', 'SmtpTestMail', 'SmtpQuit']) {
      await expect(step(page, name)).toHaveAttribute('data-outcome', 'passed');
    }
    await expect(step(page, 'PopStat')).toContainText('+OK 0');
    await expect(step(page, 'SmtpTestMail')).toContainText('250');
    await expect(page.getByTestId('conn-test-summary')).toHaveText('すべて成功しました。');
    await page.getByTestId('conn-test').screenshot({ path: `${SHOTS}/conn-test-passed.png` });
    // The running settings went on as they were.
    await expect(page.getByTestId('status-display')).toHaveText('stop');
  } finally {
    await backend.dispose();
  }
});

test('the connection test in English', async ({ page }) => {
  const backend = new Backend(await freePort());
  try {
    await page.goto(await backend.start());
    await waitLive(page);
    await page.getByTestId('lang-switch').click();
    await openScreen(page, 'settings');
    await submissionAccount(page, 'wrong-pass');
    await runTest(page);
    await expect(step(page, 'PopLogin')).toContainText('POP login');
    await expect(step(page, 'PopLogin')).toContainText('failed');
    await expect(step(page, 'PopStat')).toContainText('not tried');
    await expect(page.getByTestId('conn-test-summary')).toContainText('A step failed.');
    await page.getByTestId('conn-test').screenshot({ path: `${SHOTS}/conn-test-wrong-password-en.png` });

    await field(page, 10).fill(SANDBOX_ACCOUNT.password);
    await runTest(page);
    await expect(page.getByTestId('conn-test-summary')).toHaveText('Every step passed.');
    await expect(step(page, 'SmtpTestMail')).toContainText('not needed');
    await page.getByTestId('conn-test').screenshot({ path: `${SHOTS}/conn-test-passed-en.png` });
  } finally {
    await backend.dispose();
  }
});
