// The page shows the back end's live state, says so when the back end goes away, and reconnects
// by itself when it comes back.
import { test, expect } from '@playwright/test';
import { SHOTS, openSimulator } from './fixtures/screens';

test('live state, disconnect notice and reconnection after a restart', async ({ page }) => {
  const backend = await openSimulator(page);
  try {
    const linkState = page.getByTestId('link-state');
    await expect(page.getByRole('heading', { name: 'メインメニュー' })).toBeVisible();
    await expect(page.getByTestId('server-version')).toHaveText(/^\d+\.\d+\.\d+$/);
    await expect(page.getByTestId('clients')).toHaveText('1');
    // Live: the uptime moves on without a reload.
    const uptime = page.getByTestId('uptime');
    await expect(uptime).toHaveText(/^\d+:\d\d:\d\d$/);
    const firstUptime = await uptime.textContent();
    await expect(uptime).not.toHaveText(firstUptime ?? '');
    const instance = await page.getByTestId('server-instance').textContent();
    await expect(page.getByTestId('link-banner')).toHaveCount(0);
    await page.screenshot({ path: `${SHOTS}/main-menu-live.png`, fullPage: true });

    await backend.stop();
    await expect(linkState).toHaveAttribute('data-state', /offline|connecting/);
    await expect(page.getByTestId('link-banner')).toBeVisible();
    await expect(page.getByTestId('link-banner')).toContainText('バックエンド');
    await page.screenshot({ path: `${SHOTS}/main-menu-disconnected.png`, fullPage: true });

    await backend.start();
    await expect(linkState).toHaveAttribute('data-state', 'online');
    await expect(page.getByTestId('link-banner')).toHaveCount(0);
    await expect(page.getByTestId('restarts')).toHaveText('1');
    await expect(page.getByTestId('server-instance')).not.toHaveText(instance ?? '');
    await page.screenshot({ path: `${SHOTS}/main-menu-reconnected.png`, fullPage: true });
  } finally {
    await backend.dispose();
  }
});
