// 研修課題 8: alarm mail to 2.警報メール宛先: DOOR1 opens (発生) and closes (復旧).
import { test, expect } from '@playwright/test';
import { changeSettings, openScreen, restart } from './fixtures/screens';
import { beginExercise, exerciseDone, stepMet, stepMissing } from './fixtures/training';

test('alarm mail: DOOR1 raised, then cleared', async ({ page }) => {
  const backend = await beginExercise(page, 'alarm-mail');
  try {
    await changeSettings(page, { 2: 'operator@sandbox.test' });
    await stepMissing(page, 0, /警報メールは携帯に送られません/);
    await restart(page);
    await stepMet(page, 0);
    await stepMissing(page, 1, /「発生」のメールがまだ届いていません/);
    await openScreen(page, 'points');
    await page.getByTestId('sim-on-DOOR1').click();
    await expect(page.getByTestId('point-DOOR1')).toHaveAttribute('data-alarm', 'true');
    await stepMet(page, 1);
    await stepMissing(page, 2, /「復旧」のメールがまだ届いていません/);
    await page.getByTestId('sim-off-DOOR1').click();
    await stepMet(page, 2);
    await exerciseDone(page, 'alarm-mail', 'training-alarm-mail-done.png');
  } finally {
    await backend.dispose();
  }
});
