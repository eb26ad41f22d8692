// Reset from the panel: an exercise started over returns its own start (settings shown again
// on the screen, the ISP locked), and the whole simulation returns to the demo.
import { test, expect } from '@playwright/test';
import { SHOTS, changeSettings, field, openScreen, restart } from './fixtures/screens';
import { beginExercise, stepMet } from './fixtures/training';

test('starting an exercise over and resetting the whole simulation', async ({ page }) => {
  const backend = await beginExercise(page, 'op25b');
  try {
    // The ISP is the instructor's while the exercise runs.
    await openScreen(page, 'isp');
    await expect(page.getByTestId('isp-locked')).toBeVisible();
    await expect(page.getByTestId('apply-policy')).toBeDisabled();
    await expect(page.getByTestId('instructor-switch')).toBeDisabled();
    await page.screenshot({ path: `${SHOTS}/training-isp-locked.png`, fullPage: true });

    await stepMet(page, 0, 30_000);
    await changeSettings(page, { 5: 'submission' });
    await restart(page);
    await stepMet(page, 1);

    // Start over: the step is unmet again and the settings are the exercise's again.
    await page.getByTestId('reset-exercise').click();
    await expect(page.getByTestId('step-1')).toHaveAttribute('data-met', 'false');
    await openScreen(page, 'settings');
    await expect(field(page, 5)).toHaveValue('smtp');
    await openScreen(page, 'console');
    await expect(page.getByTestId('compare-5')).toContainText('smtp');

    // The whole simulation: no exercise, the ISP the page's again, the demo's settings.
    await page.getByTestId('reset-simulation').click();
    await expect(page.getByTestId('current-exercise')).toHaveCount(0);
    await expect(page.getByTestId('instructor-switch')).toBeEnabled();
    await expect(page.getByTestId('instructor-switch')).toBeChecked();
    await openScreen(page, 'isp');
    await expect(page.getByTestId('isp-locked')).toHaveCount(0);
    await expect(page.getByTestId('apply-policy')).toBeEnabled();
    await openScreen(page, 'console');
    await expect(page.getByTestId('status-display')).toHaveText('wait');
  } finally {
    await backend.dispose();
  }
});
