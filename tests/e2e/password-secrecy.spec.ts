// The password is write-only: after 登録 it is in no frame the back end sends, not in the page,
// and not in the protocol log, even after the engine logged in with it.
import { test, expect } from '@playwright/test';
import { SANDBOX_ACCOUNT, SHOTS, fillAccount, openScreen, openSimulator, restart, save } from './fixtures/screens';

test('the password never comes back from the back end nor stays in the page', async ({ page }) => {
  const secret = SANDBOX_ACCOUNT.password;
  const sent: string[] = [];
  const received: string[] = [];
  page.on('websocket', (ws) => {
    ws.on('framesent', (frame) => sent.push(String(frame.payload)));
    ws.on('framereceived', (frame) => received.push(String(frame.payload)));
  });
  const backend = await openSimulator(page);
  try {
    await openScreen(page, 'settings');
    await fillAccount(page, secret);
    await save(page);

    const input = page.getByLabel('10.E-Mailパスワード');
    await expect(input).toHaveValue('');
    await expect(page.getByTestId('note-10')).toContainText('設定済み');
    // Sent exactly once, inside the save.
    expect(sent.filter((f) => f.includes(secret)).length).toBe(1);
    expect(sent.find((f) => f.includes(secret))).toContain('"save_settings"');

    // Let the engine log in with it, and watch the dialogue.
    await restart(page);
    await expect(page.getByTestId('status-display')).toHaveText(/^run \(\d+\)$/);
    await openScreen(page, 'log');
    await expect(page.getByTestId('log-lines')).toContainText('PASS');
    await page.screenshot({ path: `${SHOTS}/log-after-login.png`, fullPage: true });

    expect(received.length).toBeGreaterThan(0);
    expect(received.filter((f) => f.includes(secret))).toEqual([]);
    expect(await page.content()).not.toContain(secret);
    const values = await page.evaluate(() =>
      Array.from(document.querySelectorAll('input, textarea')).map((e) => (e as HTMLInputElement).value),
    );
    expect(values.filter((v) => v.includes('karacrix-pass'))).toEqual([]);
  } finally {
    await backend.dispose();
  }
});
