// Invalid input is caught in the browser, shown next to its field, and nothing is saved.
import { test, expect } from '@playwright/test';
import { SHOTS, field, openScreen, openSimulator, waitLive } from './fixtures/screens';

test('field errors show beside their fields and a reload shows the old values', async ({ page }) => {
  const sent: string[] = [];
  page.on('websocket', (ws) => ws.on('framesent', (frame) => sent.push(String(frame.payload))));
  const backend = await openSimulator(page);
  try {
    await openScreen(page, 'settings');
    await expect(field(page, 5)).toHaveValue('smtp');

    await field(page, 5).fill('smpt');
    await field(page, 1).fill('ten');
    await field(page, 2).fill('operator@sandbox.test, not-an-address');
    await page.getByTestId('save').click();

    await expect(page.getByTestId('row-5').getByTestId('error-5')).toContainText(
      '「smpt」は不明なサービス名です',
    );
    await expect(page.getByTestId('error-1')).toContainText('0〜1440 の範囲で入力してください');
    await expect(page.getByTestId('error-2')).toContainText('「not-an-address」はメールアドレスではありません');
    await expect(page.getByTestId('error-6')).toBeEmpty();
    await expect(field(page, 5)).toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByTestId('save-outcome')).toContainText('3 件');
    await page.screenshot({ path: `${SHOTS}/settings-invalid.png`, fullPage: true });
    expect(sent.filter((f) => f.includes('save_settings'))).toEqual([]);

    // The address keeps the screen; the back end still has the old values.
    await page.reload();
    await waitLive(page);
    await expect(page.getByTestId('settings-screen')).toBeVisible();
    await expect(field(page, 5)).toHaveValue('smtp');
    await expect(field(page, 1)).toHaveValue('10');
    await expect(field(page, 2)).toHaveValue('operator@sandbox.test');
    await expect(page.getByTestId('error-5')).toBeEmpty();
  } finally {
    await backend.dispose();
  }
});
