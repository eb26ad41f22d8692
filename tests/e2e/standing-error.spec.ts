// Frame (3) keeps the last error on display, with its time, until a later success, and its
// explanation is one click away: the OP25B timeout stays visible while the retry shows
// `smtp connect`, and a POP3 server's `-ERR [SYS/TEMP]` reads as the server's trouble, not a
// wrong password.
import { test, expect } from '@playwright/test';
import {
  SHOTS, applyAccount, applyIsp, followHelp, openScreen, openSimulator, phoneSends, receiveNow,
} from './fixtures/screens';

test('the OP25B timeout stays in frame (3) through the retries, its help one click away', async ({ page }) => {
  test.setTimeout(120_000);
  const backend = await openSimulator(page);
  try {
    // The usual first try: smtp (25) with PopBeforeSmtp, which the ISP blocks (OP25B).
    await applyAccount(page, { 1: '10' });

    // A command mail, whose reply must leave on port 25.
    await phoneSends(page, 'GET PUMP1');
    await receiveNow(page);

    const standing = page.getByTestId('standing-error');
    await expect(standing).toBeVisible({ timeout: 30_000 });
    await expect(page.getByTestId('standing-error-code')).toHaveText('err timeout');
    await expect(page.getByTestId('standing-error-time')).toHaveText(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    await expect(page.getByTestId('standing-error-meaning')).toContainText('OP25B');
    // The retry shows a normal state for the whole timeout; the error is still there.
    await expect(page.getByTestId('status-display')).toHaveText(/^(smtp connect|pop connect|pop auth|smtp auth)$/, { timeout: 30_000 });
    await expect(standing).toBeVisible();
    await expect(page.getByTestId('standing-error-code')).toHaveText('err timeout');
    await page.screenshot({ path: `${SHOTS}/standing-error-op25b.png`, fullPage: true });

    // One click to what it means and how to fix it.
    const entry = await followHelp(page, page.getByTestId('standing-error-help'), 'err-timeout');
    await expect(entry).toContainText('OP25B');
    await expect(entry).toContainText('submission');
  } finally {
    await backend.dispose();
  }
});

test('a POP3 [SYS/TEMP] fault reads as a server problem, not a password', async ({ page }) => {
  const backend = await openSimulator(page);
  try {
    // The trainer makes the ISP's POP3 server fail temporarily at login.
    await applyIsp(page, { 'fault-pop': 'auth' });

    // The right password.
    await applyAccount(page, { 1: '10' });

    await expect(page.getByTestId('status-display')).toHaveText('err pop server (temp)', { timeout: 30_000 });
    await expect(page.getByTestId('standing-error-code')).toHaveText('err pop server (temp)');
    await expect(page.getByTestId('standing-error-meaning')).toContainText('サーバ側の一時的な障害');
    await expect(page.getByTestId('standing-error-meaning')).toContainText('パスワードの誤りではありません');
    await page.screenshot({ path: `${SHOTS}/standing-error-sys-temp.png`, fullPage: true });
    const entry = await followHelp(page, page.getByTestId('standing-error-help'), 'err-pop-server-temp');
    await expect(entry).toContainText('[SYS/TEMP]');
    await expect(entry.locator('.fix')).toContainText('設定は変えずにお待ちください');
    await expect(entry.locator('.fix')).not.toContainText('パスワード');

    // The same in English.
    await page.getByTestId('lang-switch').click();
    await expect(entry).toContainText('It is not a wrong user name or password.');
    await expect(entry.locator('.fix')).toContainText('Change nothing and wait');
    await page.screenshot({ path: `${SHOTS}/help-err-pop-server-temp-en.png` });

    // The ISP recovers: the next poll succeeds and the standing error goes.
    await page.getByTestId('lang-switch').click();
    await applyIsp(page, { 'fault-pop': 'none' });
    await openScreen(page, 'console');
    await expect(page.getByTestId('status-display')).toHaveText(/^run \(\d+\)$/, { timeout: 30_000 });
    await expect(page.getByTestId('standing-error')).toHaveCount(0);
  } finally {
    await backend.dispose();
  }
});
