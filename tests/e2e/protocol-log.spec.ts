// The protocol log keeps each party's lines, so the SMTP filter shows the mails sent even while
// POP3 polling runs every second; recipients read as the protocol writes them; the filter is
// still set when the screen is opened again.
import { test, expect } from '@playwright/test';
import { SHOTS, SUBMISSION, applyAccount, openScreen, openSimulator, phoneSends } from './fixtures/screens';

test('the SMTP filter shows the engine sending, with RCPT TO:<…>, and stays set', async ({ page }) => {
  test.setTimeout(90_000);
  const backend = await openSimulator(page);
  try {
    await applyAccount(page, { 1: '1', ...SUBMISSION });
    await openScreen(page, 'log');
    await page.getByTestId('log-service').selectOption('smtp');
    await page.getByTestId('log-party').selectOption('engine');

    await phoneSends(page, 'GET PUMP1');
    await openScreen(page, 'console');
    await expect(page.getByTestId('executed')).toHaveText('1', { timeout: 30_000 });
    await expect(page.getByTestId('outbox')).toHaveText('0', { timeout: 30_000 });

    await openScreen(page, 'log');
    await expect(page.getByTestId('log-service')).toHaveValue('smtp');
    await expect(page.getByTestId('log-party')).toHaveValue('engine');
    const lines = page.getByTestId('log-lines');
    await expect(lines).toContainText('RCPT TO:<operator@sandbox.test>');
    await expect(lines).toContainText('MAIL FROM:<karacrix@sandbox.test>');
    await expect(lines).not.toContainText('["');
    await expect(lines.locator('.log-line[data-service=pop3]')).toHaveCount(0);
    await page.screenshot({ path: `${SHOTS}/log-smtp-engine.png`, fullPage: true });
  } finally {
    await backend.dispose();
  }
});
