// A trainee's page whose session cookie is gone (cleared, expired) is refused by the back end
// when it reconnects; the page notices and shows the join form again instead of retrying for
// ever.
import { test, expect } from '@playwright/test';
import { Browsers, startClass } from './fixtures/classroom';

test('a page whose session is gone goes back to the join form', async ({ browser }) => {
  test.setTimeout(60_000);
  const backend = await startClass();
  const browsers = new Browsers(browser);
  try {
    const page = await browsers.trainee(backend, '山田');
    await page.context().clearCookies();
    // The socket drops with the restart; its reconnects carry no cookie now.
    await backend.stop();
    await backend.start();
    await expect(page.getByTestId('join-form')).toBeVisible({ timeout: 30_000 });
    await expect(page.getByTestId('join-class')).toHaveValue('A1');
  } finally {
    await browsers.close();
    await backend.dispose();
  }
});
