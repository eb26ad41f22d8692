// The JA/EN switch changes the labels and is remembered across a reload.
import { test, expect } from '@playwright/test';
import { SHOTS, openSimulator } from './fixtures/screens';

test('the English switch changes every label and survives a reload', async ({ page }) => {
  const backend = await openSimulator(page);
  try {
    await expect(page.getByTestId('link-state')).toHaveText('接続中');
    await expect(page.locator('html')).toHaveAttribute('lang', 'ja');

    await page.getByTestId('lang-switch').click();
    await expect(page.getByRole('heading', { name: 'Main menu' })).toBeVisible();
    await expect(page.getByTestId('link-state')).toHaveText('Connected');
    await expect(page.locator('html')).toHaveAttribute('lang', 'en');
    await expect(page).toHaveTitle(/e-mail environment simulator/);
    // No Japanese label is left once English is on, except the switch back, which names its
    // language in that language.
    const text = await page.evaluate(() => {
      const copy = document.body.cloneNode(true) as HTMLElement;
      copy.querySelectorAll('[data-testid=lang-switch], noscript').forEach((e) => e.remove());
      return copy.innerText;
    });
    expect(text).not.toMatch(/[\u3040-\u30ff\u4e00-\u9fff]/);
    await page.screenshot({ path: `${SHOTS}/main-menu-english.png`, fullPage: true });

    await page.reload();
    await expect(page.getByRole('heading', { name: 'Main menu' })).toBeVisible();
    await page.getByTestId('lang-switch').click();
    await expect(page.getByRole('heading', { name: 'メインメニュー' })).toBeVisible();
  } finally {
    await backend.dispose();
  }
});

test('a phone-sized screen keeps every window readable', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  const backend = await openSimulator(page);
  try {
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: `${SHOTS}/main-menu-phone.png`, fullPage: true });
  } finally {
    await backend.dispose();
  }
});
