// 接続テスト on the settings screen tries the settings on the screen, step by step, without saving
// or applying them: a wrong password fails at the POP login and the SMTP AUTH with their codes and
// help, the right one passes every step and sends the test mail, in both languages, while the
// running settings keep running.
import { test, expect } from '@playwright/test';
import {
  SANDBOX_ACCOUNT, SHOTS, SUBMISSION, applyAccount, connStep, field, fillAccount, followHelp, openScreen,
  openSimulator, runConnectionTest,
} from './fixtures/screens';

/** The sandbox account on submission with SmtpAuthLogin, receiving off (nothing else logs in). */
const SUBMISSION_ONLY = { 1: '0', ...SUBMISSION };

test('a wrong and a right password in the connection test, the running engine untouched', async ({ page }) => {
  test.setTimeout(90_000);
  const backend = await openSimulator(page);
  try {
    await applyAccount(page, SUBMISSION_ONLY);
    await expect(page.getByTestId('status-display')).toHaveText('stop');

    // A wrong password typed but not saved: the test uses it, nothing else does.
    await openScreen(page, 'settings');
    await field(page, 10).fill('wrong-pass');
    await runConnectionTest(page);
    await expect(connStep(page, 'PopConnect')).toHaveAttribute('data-outcome', 'passed');
    await expect(connStep(page, 'PopTls')).toHaveAttribute('data-outcome', 'passed');
    await expect(connStep(page, 'PopLogin')).toHaveAttribute('data-outcome', 'failed');
    await expect(connStep(page, 'PopLogin').getByTestId('conn-step-code')).toHaveText('err pop login');
    await expect(connStep(page, 'PopStat')).toHaveAttribute('data-outcome', 'not-tried');
    await expect(connStep(page, 'PopBeforeSmtp')).toHaveAttribute('data-outcome', 'skipped');
    await expect(connStep(page, 'SmtpConnect')).toHaveAttribute('data-outcome', 'passed');
    await expect(connStep(page, 'SmtpConnect').getByTestId('conn-step-code')).toHaveText('smtp connect');
    await expect(connStep(page, 'SmtpTls')).toHaveAttribute('data-outcome', 'passed');
    await expect(connStep(page, 'SmtpAuth')).toHaveAttribute('data-outcome', 'failed');
    await expect(connStep(page, 'SmtpAuth').getByTestId('conn-step-code')).toHaveText('err smtp auth (535)');
    await expect(page.getByTestId('conn-test-summary')).toContainText('失敗した段階があります');
    await expect(page.getByTestId('restart-needed')).toHaveCount(0);
    await page.getByTestId('conn-test').screenshot({ path: `${SHOTS}/conn-test-wrong-password.png` });
    await page.screenshot({ path: `${SHOTS}/settings-conn-test.png`, fullPage: true });

    // Its ? opens what the failure means.
    await followHelp(page, connStep(page, 'PopLogin').getByTestId('conn-step-help'), 'err-pop-login');

    // The right password (the saved one: the input left empty), with a test mail.
    await page.getByTestId('help-to-settings').click();
    await expect(field(page, 10)).toHaveValue('');
    await page.getByTestId('conn-test-mail').check();
    await runConnectionTest(page);
    for (const name of ['PopConnect', 'PopTls', 'PopLogin', 'PopStat', 'PopQuit', 'SmtpConnect', 'SmtpTls', 'SmtpAuth', 'SmtpTestMail', 'SmtpQuit']) {
      await expect(connStep(page, name)).toHaveAttribute('data-outcome', 'passed');
    }
    await expect(connStep(page, 'PopStat')).toContainText('+OK 0');
    await expect(connStep(page, 'SmtpTestMail')).toContainText('250');
    await expect(page.getByTestId('conn-test-summary')).toHaveText('すべて成功しました。');
    await page.getByTestId('conn-test').screenshot({ path: `${SHOTS}/conn-test-passed.png` });
    // The running settings went on as they were.
    await expect(page.getByTestId('status-display')).toHaveText('stop');
  } finally {
    await backend.dispose();
  }
});

test('the connection test in English', async ({ page }) => {
  const backend = await openSimulator(page);
  try {
    await page.getByTestId('lang-switch').click();
    await openScreen(page, 'settings');
    await fillAccount(page, 'wrong-pass', SUBMISSION_ONLY);
    await runConnectionTest(page);
    await expect(connStep(page, 'PopLogin')).toContainText('POP login');
    await expect(connStep(page, 'PopLogin')).toContainText('failed');
    await expect(connStep(page, 'PopStat')).toContainText('not tried');
    await expect(page.getByTestId('conn-test-summary')).toContainText('A step failed.');
    await page.getByTestId('conn-test').screenshot({ path: `${SHOTS}/conn-test-wrong-password-en.png` });

    await field(page, 10).fill(SANDBOX_ACCOUNT.password);
    await runConnectionTest(page);
    await expect(page.getByTestId('conn-test-summary')).toHaveText('Every step passed.');
    await expect(connStep(page, 'SmtpTestMail')).toContainText('not needed');
    await page.getByTestId('conn-test').screenshot({ path: `${SHOTS}/conn-test-passed-en.png` });
  } finally {
    await backend.dispose();
  }
});
