// 研修課題 2 (OP25B): the reply cannot leave on port 25; frame (3) shows err timeout, its `?`
// explains OP25B; 5.SMTP名 = submission and RST deliver the reply. Step 2 stays unmet after the
// save and is met only after RST.
import { test, expect } from '@playwright/test';
import { SHOTS, field, restart, save, statusShows } from './fixtures/screens';
import { beginExercise, exerciseDone, stepMet, stepMissing } from './fixtures/training';

test('OP25B: err timeout, its help, submission, RST, the reply arrives', async ({ page }) => {
  const backend = await beginExercise(page, 'op25b');
  try {
    await statusShows(page, 'err timeout');
    await stepMet(page, 0);
    await stepMissing(page, 1, /遮断されるポートで送っています/);
    await page.screenshot({ path: `${SHOTS}/training-op25b-timeout.png`, fullPage: true });
    await page.getByTestId('status-help').click();
    await expect(page.getByTestId('help-entry-err-timeout')).toContainText('submission');

    await page.getByTestId('help-to-settings').click();
    await field(page, 5).fill('submission');
    await save(page);
    await stepMissing(page, 1, /遮断されるポートで送っています/);
    await restart(page);
    await stepMet(page, 1);
    await stepMet(page, 2, 90_000);
    await exerciseDone(page, 'op25b', 'training-op25b-done.png');
  } finally {
    await backend.dispose();
  }
});
