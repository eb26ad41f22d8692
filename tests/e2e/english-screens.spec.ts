// The English switch changes every label on every screen: no Japanese is left but the switch
// back, which names its language in that language.
import { test, expect } from '@playwright/test';
import { Backend, freePort } from './fixtures/backend';
import { SHOTS, openScreen, visibleText, waitLive } from './fixtures/screens';

const JAPANESE = /[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]/;

test('every screen is English after the switch', async ({ page }) => {
  const backend = new Backend(await freePort());
  try {
    await page.goto(await backend.start());
    await waitLive(page);
    await page.getByTestId('lang-switch').click();
    await expect(page.getByRole('heading', { name: 'Main menu' })).toBeVisible();
    for (const name of ['settings', 'console', 'points', 'phone', 'log', 'isp'] as const) {
      await openScreen(page, name);
      const text = await visibleText(page);
      expect(text.match(JAPANESE), `Japanese left on ${name}: ${text}`).toBeNull();
      await page.screenshot({ path: `${SHOTS}/${name}-english.png`, fullPage: true });
    }
    await openScreen(page, 'settings');
    await expect(page.getByLabel('5. SMTP service')).toBeVisible();
    await page.getByTestId('help-fields').click();
    await expect(page.getByTestId('help-screen')).toBeVisible();
    const help = await visibleText(page);
    expect(help.match(JAPANESE), `Japanese left on help: ${help}`).toBeNull();
    await expect(page.getByTestId('help-entry-err-timeout')).toContainText('OP25B');
    await page.screenshot({ path: `${SHOTS}/help-english.png` });
  } finally {
    await backend.dispose();
  }
});
