// One trainee, two tabs: a reload or a second tab comes back to the same simulation, a save in
// one tab never wipes what the other is typing, the stale save is refused, and another
// trainee's settings are untouched by either.
import { test, expect } from '@playwright/test';
import { field, openScreen, save, waitLive } from './fixtures/screens';
import { Browsers, at, startClass } from './fixtures/classroom';

test('two tabs of one trainee share a simulation and never overwrite each other', async ({
  browser,
}) => {
  const backend = await startClass();
  const browsers = new Browsers(browser);
  try {
    const tabA = await browsers.trainee(backend, '佐藤');
    const tabB = await tabA.context().newPage();
    await tabB.goto(at(backend, '/'));
    await waitLive(tabB);
    await expect(tabB.getByTestId('session-name')).toHaveText('佐藤');
    for (const tab of [tabA, tabB]) {
      await openScreen(tab, 'settings');
      await expect(field(tab, 6)).toHaveValue('mail.sandbox.test');
    }

    // A is typing when B saves another field of the same simulation.
    await field(tabA, 6).fill('pop.typed-in-a.test');
    await field(tabB, 7).fill('smtp.saved-by-b.test');
    await save(tabB);
    await expect(tabA.getByTestId('changed-elsewhere')).toContainText(
      '他の画面で変更されました — 読み込み直しますか？',
    );
    await expect(field(tabA, 6)).toHaveValue('pop.typed-in-a.test');

    // A's save would overwrite B's unseen one: refused.
    await tabA.getByTestId('save').click();
    await expect(tabA.getByTestId('save-outcome')).toHaveText(
      '登録できませんでした。他の画面で設定が変更されています。読み込み直してから登録してください。',
    );

    // A reload of A comes back to the same simulation, with B's save.
    await tabA.reload();
    await waitLive(tabA);
    await expect(tabA.getByTestId('session-name')).toHaveText('佐藤');
    await openScreen(tabA, 'settings');
    await expect(field(tabA, 7)).toHaveValue('smtp.saved-by-b.test');

    // Another trainee's simulation has its own settings.
    const page = await browsers.trainee(backend, '鈴木');
    await openScreen(page, 'settings');
    await expect(field(page, 7)).toHaveValue('mail.sandbox.test');
  } finally {
    await browsers.close();
    await backend.dispose();
  }
});
