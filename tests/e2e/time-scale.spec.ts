// The demo speed is changed from the console while running, and frame (3) shows it.
import { test, expect } from '@playwright/test';
import { SHOTS, openScreen, openSimulator } from './fixtures/screens';

test('the time scale is changed from the console while running', async ({ page }) => {
  const backend = await openSimulator(page);
  try {
    await openScreen(page, 'console');
    await expect(page.getByTestId('time-scale')).toHaveText('× 60');
    await page.getByTestId('time-scale-input').fill('120');
    await page.getByTestId('time-scale-set').click();
    await expect(page.getByTestId('time-scale')).toHaveText('× 120');
    await page.getByTestId('time-scale-input').fill('1');
    await page.getByTestId('time-scale-set').click();
    await expect(page.getByTestId('time-scale')).toHaveText('実時間');
    await page.screenshot({ path: `${SHOTS}/console-time-scale.png`, fullPage: true });
  } finally {
    await backend.dispose();
  }
});
