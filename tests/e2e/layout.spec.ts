// Every screen fits a phone (390×844) without sideways scrolling, and is reached by keyboard.
import { test, expect } from '@playwright/test';
import { SHOTS, openScreen, openSimulator } from './fixtures/screens';

test('every screen fits a phone-sized window', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  const backend = await openSimulator(page);
  try {
    for (const name of ['settings', 'console', 'points', 'phone', 'log', 'isp'] as const) {
      await openScreen(page, name);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow, `${name} scrolls sideways`).toBeLessThanOrEqual(0);
      await page.screenshot({ path: `${SHOTS}/${name}-phone.png`, fullPage: true });
    }
    await openScreen(page, 'settings');
    await page.getByTestId('help-status').click();
    await expect(page.getByTestId('help-entry-status')).toBeInViewport();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, 'help scrolls sideways').toBeLessThanOrEqual(0);
  } finally {
    await backend.dispose();
  }
});

test('the menu and the settings screen work from the keyboard', async ({ page }) => {
  const backend = await openSimulator(page);
  try {
    await page.getByTestId('menu-settings').focus();
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('system-screen')).toBeVisible();
    await page.getByTestId('system-email').focus();
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('settings-screen')).toBeVisible();
    await expect(page).toHaveURL(/#settings$/);
    // Every input has a label tied to it.
    const unlabelled = await page.evaluate(() =>
      Array.from(document.querySelectorAll('input, select, textarea'))
        .filter((e) => !(e as HTMLInputElement).labels?.length)
        .map((e) => e.outerHTML),
    );
    expect(unlabelled).toEqual([]);
    // Back goes up one level at a time: システム設定, then the main menu.
    await page.getByTestId('back-to-menu').focus();
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('system-screen')).toBeVisible();
    await page.getByTestId('back-to-menu').focus();
    await page.keyboard.press('Enter');
    await expect(page.getByRole('heading', { name: 'メインメニュー' })).toBeVisible();
    await page.goBack();
    await expect(page.getByTestId('system-screen')).toBeVisible();
  } finally {
    await backend.dispose();
  }
});
