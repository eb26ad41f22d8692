// 研修課題 6: polling every minute gets the account suspended by the ISP (err pop server
// (temp)); 0 stops receiving (stop), and alarm mail still goes out.
import { test, expect } from '@playwright/test';
import { SHOTS, changeSettings, openScreen, restart, statusShows } from './fixtures/screens';
import { beginExercise, exerciseDone, stepMet, stepMissing } from './fixtures/training';

test('too short an interval is flagged; 0 stops receiving but alarms still go out', async ({ page }) => {
  const backend = await beginExercise(page, 'interval');
  try {
    await expect(page.getByTestId('notice-remark')).toContainText('10 分以上');
    await statusShows(page, 'err pop server (temp)');
    await stepMet(page, 0);
    await page.screenshot({ path: `${SHOTS}/training-interval-suspended.png`, fullPage: true });
    await changeSettings(page, { 1: '0' });
    await stepMissing(page, 1, /動作中の設定はまだ受信を続けています/);
    await restart(page);
    await stepMet(page, 1);
    await expect(page.getByTestId('status-display')).toHaveText('stop');
    await stepMet(page, 2);
    await openScreen(page, 'points');
    await page.getByTestId('sim-on-DOOR1').click();
    await stepMet(page, 3);
    await exerciseDone(page, 'interval', 'training-interval-done.png');
  } finally {
    await backend.dispose();
  }
});
