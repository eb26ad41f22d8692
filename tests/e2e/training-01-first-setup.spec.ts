// 研修課題 1: from a blank form, the account notice goes into frames (1) and (2); RST brings
// run (1) and the reply to the waiting LIST. The steps stay unmet until RST, the decisive step.
import { test, expect } from '@playwright/test';
import { SANDBOX_ACCOUNT, SHOTS, field, fillAccount, openScreen, restart, save } from './fixtures/screens';
import { beginExercise, exerciseDone, stepMet, stepMissing } from './fixtures/training';

test('first set-up from the account notice', async ({ page }) => {
  const backend = await beginExercise(page, 'first-setup');
  try {
    const notice = page.getByTestId('account-notice');
    await expect(notice).toContainText('mail.sandbox.test');
    await expect(notice).toContainText('9.E-Mailユーザ名');
    await expect(notice).toContainText('25 (smtp)');
    await openScreen(page, 'settings');
    for (const n of [5, 6, 7, 8, 9]) await expect(field(page, n)).toHaveValue('');
    await page.screenshot({ path: `${SHOTS}/training-first-setup-blank.png`, fullPage: true });

    await fillAccount(page, SANDBOX_ACCOUNT.password, { 11: true });
    await save(page);
    // Saved, not applied: the first step says the settings are not running yet.
    await stepMissing(page, 0, /動作中の設定に POPサーバ名 がまだありません/);

    await restart(page);
    await stepMet(page, 0);
    await stepMet(page, 1);
    await stepMet(page, 2);
    await expect(page.getByTestId('status-display')).toHaveText(/^run \(\d+\)$/, { timeout: 30_000 });
    await stepMet(page, 3);
    await exerciseDone(page, 'first-setup', 'training-first-setup-done.png');
  } finally {
    await backend.dispose();
  }
});
