// 研修課題 5: a wrong password: frame (3) shows err pop login and its help; the password typed
// again from the notice and RST make the receive succeed.
import { test, expect } from '@playwright/test';
import { changeSettings, restart, statusShows } from './fixtures/screens';
import { beginExercise, exerciseDone, stepMet, stepMissing } from './fixtures/training';

test('a wrong password is read from frame (3) and fixed', async ({ page }) => {
  const backend = await beginExercise(page, 'wrong-password');
  try {
    await statusShows(page, 'err pop login');
    await stepMet(page, 0);
    await page.getByTestId('status-help').click();
    await expect(page.getByTestId('help-entry-err-pop-login')).toBeVisible();
    await changeSettings(page, { 10: 'karacrix-pass' });
    await stepMissing(page, 1, /まだ受信に成功していません/);
    await restart(page);
    await stepMet(page, 1);
    await exerciseDone(page, 'wrong-password', 'training-wrong-password-done.png');
  } finally {
    await backend.dispose();
  }
});
