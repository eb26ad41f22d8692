// The training panel in English: the exercise, its steps, hints, account notice and list.
import { test, expect } from '@playwright/test';
import { SHOTS, expectEnglish, openScreen } from './fixtures/screens';
import { beginExercise } from './fixtures/training';

test('the training panel is English after the switch', async ({ page }) => {
  const backend = await beginExercise(page, 'op25b');
  try {
    await page.getByTestId('lang-switch').click();
    await openScreen(page, 'settings');
    await expect(page.getByTestId('current-title')).toHaveText('OP25B (port 25 blocked)');
    await expect(page.getByTestId('account-notice')).toContainText('5. SMTP service');
    await page.getByTestId('hints').locator('summary').click();
    await page.getByTestId('exercise-list-toggle').click();
    await expect(page.getByTestId('exercise-state-op25b')).toHaveText('In progress');
    await expect(page.getByTestId('exercise-state-first-setup')).toHaveText('Not started');
    await expectEnglish(page, 'the training panel');
    await page.screenshot({ path: `${SHOTS}/training-english.png`, fullPage: true });
  } finally {
    await backend.dispose();
  }
});
