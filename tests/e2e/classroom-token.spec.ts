// A class on a back end that asks for its access token (as one on the classroom's network
// must): the join page and the join itself carry the token from the page address, so a
// trainee joins and works as on a loopback back end.
import { test, expect } from '@playwright/test';
import { joinClass, startClass } from './fixtures/classroom';

const TOKEN = 'e2e-class-token-0123456789';

test('a trainee joins a class whose back end asks for its token', async ({ page }) => {
  const backend = await startClass(['--token', TOKEN]);
  try {
    await joinClass(page, backend, '高橋');
    await expect(page).not.toHaveURL(/token/);
  } finally {
    await backend.dispose();
  }
});
