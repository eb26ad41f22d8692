// A class on a back end that asks for its access token (as one on the classroom's network
// must): the join page and the join itself carry the token from the page address, so a
// trainee joins and works as on a loopback back end.
import { test, expect } from '@playwright/test';
import { Backend, freePort } from './fixtures/backend';
import { waitLive } from './fixtures/screens';
import { CLASS, INSTRUCTOR_KEY } from './fixtures/classroom';

const TOKEN = 'e2e-class-token-0123456789';

test('a trainee joins a class whose back end asks for its token', async ({ page }) => {
  const backend = new Backend(await freePort(), [
    '--class', CLASS, '--instructor-token', INSTRUCTOR_KEY, '--token', TOKEN,
  ]);
  try {
    const url = await backend.start();
    await page.goto(`${url}&class=${CLASS}`);
    await expect(page.getByTestId('join-form')).toBeVisible();
    await expect(page.getByTestId('join-class')).toHaveValue(CLASS);
    await page.getByTestId('join-name').fill('高橋');
    await page.getByTestId('join-submit').click();
    await waitLive(page);
    await expect(page.getByTestId('session-name')).toHaveText('高橋');
    await expect(page).not.toHaveURL(/token/);
  } finally {
    await backend.dispose();
  }
});
