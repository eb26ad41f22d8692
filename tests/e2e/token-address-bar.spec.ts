// A back end with an access token prints a page address carrying it. The page takes the token
// once and removes it from the address bar (history, bookmarks and shared screens must not show
// it); reloading the tab keeps working, and a new tab without the token is refused.
import { test, expect } from '@playwright/test';
import { SHOTS, openSimulator } from './fixtures/screens';

const TOKEN = 'e2e-token-0123456789abcdef';

test('the token leaves the address bar after use and the tab stays connected', async ({ page, context }) => {
  const backend = await openSimulator(page, ['--token', TOKEN]);
  try {
    const url = backend.url;
    expect(url).toContain(`token=${TOKEN}`);
    const linkState = page.getByTestId('link-state');
    await expect(page).not.toHaveURL(/token/);
    await page.screenshot({ path: `${SHOTS}/token-dropped-from-address.png`, fullPage: true });

    await page.reload();
    await expect(linkState).toHaveAttribute('data-state', 'online');
    await expect(page).not.toHaveURL(/token/);

    // Another tab opened without the token is not let in.
    const other = await context.newPage();
    await other.goto(url.replace(/\?token=.*$/, ''));
    await expect(other.getByTestId('link-banner')).toBeVisible();
    await expect(other.getByTestId('link-state')).not.toHaveAttribute('data-state', 'online');
  } finally {
    await backend.dispose();
  }
});
