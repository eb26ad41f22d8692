// The training walkthrough up to the engine, through the screens only: enter the sandbox account
// with a wrong password, save, RST on the console; frame (3) shows `err pop login` and its help
// entry explains it; fix the password, save, RST; frame (3) reaches `run (N)`.
import { test, expect } from '@playwright/test';
import {
  SANDBOX_ACCOUNT, SHOTS, fillAccount, followHelp, openScreen, openSimulator, restart, save,
} from './fixtures/screens';

test('a wrong password shows err pop login with its help; the right one reaches run (N)', async ({ page }) => {
  const backend = await openSimulator(page);
  try {
    await openScreen(page, 'settings');
    await expect(page.getByTestId('screen-title')).toHaveText('Eメール接続環境設定');
    await expect(page.getByLabel('5.SMTP名')).toBeVisible();
    await fillAccount(page, 'not-the-password');
    await save(page);
    await expect(page.getByTestId('note-10')).toContainText('設定済み');
    await expect(page.getByTestId('restart-needed')).toBeVisible();
    await page.screenshot({ path: `${SHOTS}/settings-saved.png`, fullPage: true });

    await openScreen(page, 'console');
    await expect(page.getByTestId('compare-10')).toHaveAttribute('data-diff', 'true');
    await page.getByTestId('rst').click();
    const display = page.getByTestId('status-display');
    await expect(display).toHaveText('err pop login');
    await expect(page.getByTestId('status-meaning')).toContainText(
      'POP サーバがユーザ名またはパスワードを受け付けませんでした',
    );
    await expect(page.getByTestId('compare-10')).toHaveAttribute('data-diff', 'false');
    await page.screenshot({ path: `${SHOTS}/console-pop-login-error.png`, fullPage: true });

    // The link from frame (3) opens the help at this very code.
    const entry = await followHelp(page, page.getByTestId('status-help'), 'err-pop-login');
    await expect(entry).toContainText('err pop login');
    await expect(entry).toContainText('9.E-Mailユーザ名と 10.E-Mailパスワードを確認し');
    await page.screenshot({ path: `${SHOTS}/help-err-pop-login.png` });

    await page.getByTestId('help-to-settings').click();
    await expect(page.getByTestId('settings-screen')).toBeVisible();
    await page.getByLabel('10.E-Mailパスワード').fill(SANDBOX_ACCOUNT.password);
    await save(page);
    await restart(page);
    await expect(display).toHaveText(/^run \(\d+\)$/);
    await expect(page.getByTestId('status-meaning')).toContainText('正常に動作しています');
    await expect(page.getByTestId('last-success')).toHaveText(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    await page.getByTestId('receive-now').click();
    await expect(page.locator('[data-testid^=compare-][data-diff=true]')).toHaveCount(0);
    await page.screenshot({ path: `${SHOTS}/console-run.png`, fullPage: true });
  } finally {
    await backend.dispose();
  }
});
