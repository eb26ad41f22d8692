// The ISP panel switches OP25B and whom it blocks, the change survives a reload, and a value the back end refuses
// is explained without changing anything.
import { test, expect } from '@playwright/test';
import { SHOTS, applyIsp, openScreen, openSimulator, waitLive } from './fixtures/screens';

test('OP25B switched in the ISP panel stays switched after a reload', async ({ page }) => {
  const backend = await openSimulator(page);
  try {
    await openScreen(page, 'isp');
    await expect(page.getByTestId('endpoint-smtp')).toHaveText(/^127\.0\.0\.1:\d+$/);
    await expect(page.getByTestId('isp-account-list')).toContainText('karacrix@sandbox.test');
    await expect(page.getByTestId('policy-op25b')).toHaveValue('timeout');
    await expect(page.getByTestId('policy-op25b-clients')).toHaveValue('system');

    await applyIsp(page, { 'policy-op25b': 'refuse', 'policy-op25b-clients': 'all' });

    // A window of 0 minutes is refused by the back end; the panel says why.
    await page.getByTestId('policy-pbs-minutes').fill('0');
    await page.getByTestId('apply-policy').click();
    await expect(page.getByTestId('policy-outcome')).toContainText('ISP の設定は変更されませんでした');
    await expect(page.getByTestId('policy-outcome')).toContainText('PopBeforeSmtp の有効時間は 1〜1440 分です');
    await page.screenshot({ path: `${SHOTS}/isp-refused.png`, fullPage: true });
    // The back end's reason comes in both languages; the switch picks it.
    await page.getByTestId('lang-switch').click();
    await expect(page.getByTestId('policy-outcome')).toContainText('The ISP was not changed: the PopBeforeSmtp window must be 1 to 1440 minutes, not 0');
    await page.getByTestId('lang-switch').click();

    await page.reload();
    await waitLive(page);
    await expect(page.getByTestId('isp-screen')).toBeVisible();
    await expect(page.getByTestId('policy-op25b')).toHaveValue('refuse');
    await expect(page.getByTestId('policy-op25b-clients')).toHaveValue('all');
    await expect(page.getByTestId('policy-pbs-minutes')).toHaveValue('10');
    await page.screenshot({ path: `${SHOTS}/isp-panel.png`, fullPage: true });
  } finally {
    await backend.dispose();
  }
});
