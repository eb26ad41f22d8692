// 13. and 14. choose how the POP and SMTP connections are secured; a port that starts with TLS
// with another choice is refused beside the field, and a valid choice is saved and shown again.
import { test, expect } from '@playwright/test';
import { SHOTS, field, openScreen, openSimulator, save, waitLive } from './fixtures/screens';

test('the connection security is a choice per server, checked against TLS ports', async ({ page }) => {
  const backend = await openSimulator(page);
  try {
    await openScreen(page, 'settings');
    // Settings from before the choice existed mean STARTTLS on ports 110 and 25.
    await expect(field(page, 13)).toHaveValue('starttls');
    await expect(field(page, 14)).toHaveValue('starttls');
    await expect(page.getByTestId('row-13')).toContainText('13.POP接続の暗号化');

    await field(page, 6).fill('mail.sandbox.test:995');
    await field(page, 5).fill('smtps');
    await field(page, 14).selectOption('none');
    await page.getByTestId('save').click();
    await expect(page.getByTestId('error-13')).toContainText('ポート 995 は最初から暗号化する (TLS) ポートです');
    await expect(page.getByTestId('error-14')).toContainText('ポート 465 は最初から暗号化する (TLS) ポートです');
    await page.screenshot({ path: `${SHOTS}/settings-security-invalid.png`, fullPage: true });

    await field(page, 13).selectOption('tls');
    await field(page, 14).selectOption('tls');
    await save(page);
    await page.reload();
    await waitLive(page);
    await expect(field(page, 13)).toHaveValue('tls');
    await expect(field(page, 14)).toHaveValue('tls');
    await expect(page.getByTestId('error-13')).toBeEmpty();
    await page.screenshot({ path: `${SHOTS}/settings-security.png`, fullPage: true });
  } finally {
    await backend.dispose();
  }
});
