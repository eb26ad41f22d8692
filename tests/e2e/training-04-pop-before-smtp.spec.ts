// 研修課題 4: an ISP with PopBeforeSmtp only, and a system that only sends alarms: no POP login
// precedes the alarm mail, so relaying is denied until 11.PopBeforeSmtp runs.
import { test, expect } from '@playwright/test';
import { changeSettings, openScreen, restart, statusShows } from './fixtures/screens';
import { beginExercise, exerciseDone, stepMet, stepMissing } from './fixtures/training';

test('PopBeforeSmtp only: the alarm mail is refused until 11.PopBeforeSmtp runs', async ({ page }) => {
  const backend = await beginExercise(page, 'pop-before-smtp');
  try {
    await stepMissing(page, 0, /警報を起こしてみましょう/);
    await openScreen(page, 'points');
    await page.getByTestId('sim-on-DOOR1').click();
    await expect(page.getByTestId('point-DOOR1')).toHaveAttribute('data-alarm', 'true');
    await statusShows(page, 'err relay denied');
    await stepMet(page, 0);
    await changeSettings(page, { 11: true });
    await stepMissing(page, 1, /まだ送信前の認証をしていません/);
    await restart(page);
    await stepMet(page, 1);
    await stepMet(page, 2, 90_000);
    await exerciseDone(page, 'pop-before-smtp', 'training-pop-before-smtp-done.png');
  } finally {
    await backend.dispose();
  }
});
