// The manual's cautions on the settings screen: mail read is deleted (always, and again under
// 6. when the POP server is a real one); an interval below 10 minutes is warned about but saved;
// 0 says why it is advised when only sending, and then 今すぐ受信 is disabled with the reason.
import { test, expect } from '@playwright/test';
import { SHOTS, field, openScreen, openSimulator, restart, save } from './fixtures/screens';

test('short intervals and real POP servers are warned about; 0 disables receive now', async ({ page }) => {
  const backend = await openSimulator(page);
  try {
    await openScreen(page, 'settings');
    // The preset follows the manual's safe order.
    await expect(field(page, 1)).toHaveValue('10');
    await expect(page.getByTestId('warning-1')).toBeEmpty();
    await expect(page.getByTestId('caution-delete')).toContainText('削除され残りません');
    await expect(page.getByTestId('warning-6')).toBeEmpty();

    await field(page, 6).fill('pop.example.jp');
    await expect(page.getByTestId('warning-6')).toContainText('実際のメールサーバです');
    await expect(page.getByTestId('warning-6')).toContainText('削除されます');
    // Off the sandbox, SET needs a PIN of 6 digits or more: 4. says so while it is empty.
    await expect(page.getByTestId('warning-4')).toContainText('6 桁以上の暗証番号');
    await field(page, 1).fill('5');
    await expect(page.getByTestId('warning-1')).toContainText('10 分未満です（登録はできます）');
    await expect(page.getByTestId('warning-1')).toContainText('ハッカー');
    await page.screenshot({ path: `${SHOTS}/settings-cautions.png`, fullPage: true });

    // Allowed, not refused: a short interval on the sandbox saves.
    await field(page, 6).fill('mail.sandbox.test');
    await expect(page.getByTestId('warning-6')).toBeEmpty();
    await expect(page.getByTestId('warning-4')).toBeEmpty();
    await save(page);
    await expect(field(page, 1)).toHaveValue('5');
    await expect(page.getByTestId('warning-1')).toContainText('10 分未満');

    await page.getByTestId('lang-switch').click();
    await expect(page.getByTestId('warning-1')).toContainText('Below 10 minutes (it can still be saved)');
    await field(page, 6).fill('pop.example.jp');
    await expect(page.getByTestId('warning-6')).toContainText('A real mail server');
    await page.screenshot({ path: `${SHOTS}/settings-cautions-english.png`, fullPage: true });
    await page.getByTestId('lang-switch').click();
    await field(page, 6).fill('mail.sandbox.test');

    // 0: receiving stops; the note says why, and after RST receive now cannot receive.
    await field(page, 1).fill('0');
    await expect(page.getByTestId('warning-1')).toContainText('余分な負荷をかけません');
    await save(page);
    await restart(page);
    await expect(page.getByTestId('status-display')).toHaveText('stop');
    await expect(page.getByTestId('receive-now')).toBeDisabled();
    await expect(page.getByTestId('receive-now-note')).toContainText('0（受信停止）のため使えません');
    await page.screenshot({ path: `${SHOTS}/console-interval-zero.png`, fullPage: true });
  } finally {
    await backend.dispose();
  }
});
