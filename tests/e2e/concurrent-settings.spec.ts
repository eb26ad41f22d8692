// Two pages on one simulation: a save on one page never wipes what the other is typing, never
// overwrites settings the other page has not seen, and 「登録しました」 shows only where it was saved.
import { test, expect } from '@playwright/test';
import { Backend, freePort } from './fixtures/backend';
import { SHOTS, field, openScreen, save, waitLive } from './fixtures/screens';

test('a save elsewhere keeps the typed values, offers a reload and refuses the stale save', async ({
  context,
}) => {
  const backend = new Backend(await freePort());
  try {
    const url = await backend.start();
    const pageA = await context.newPage();
    const pageB = await context.newPage();
    for (const page of [pageA, pageB]) {
      await page.goto(url);
      await waitLive(page);
      await openScreen(page, 'settings');
      await expect(field(page, 6)).toHaveValue('mail.sandbox.test');
    }

    // A is half-way through typing when B saves another field.
    await field(pageA, 6).fill('pop.typed-in-a.test');
    await field(pageB, 7).fill('smtp.saved-by-b.test');
    await save(pageB);

    const notice = pageA.getByTestId('changed-elsewhere');
    await expect(notice).toContainText('他の画面で変更されました — 読み込み直しますか？');
    await expect(field(pageA, 6)).toHaveValue('pop.typed-in-a.test');
    await expect(field(pageA, 7)).toHaveValue('mail.sandbox.test');
    await expect(pageA.getByTestId('save-outcome')).toBeEmpty();
    await expect(pageB.getByTestId('changed-elsewhere')).toBeHidden();
    await pageA.screenshot({ path: `${SHOTS}/settings-changed-elsewhere.png` });

    await pageA.getByTestId('lang-switch').click();
    await expect(notice).toContainText('Changed elsewhere — reload?');
    await expect(pageA.getByTestId('reload-settings')).toHaveText('Reload');
    await pageA.screenshot({ path: `${SHOTS}/settings-changed-elsewhere-en.png` });
    await pageA.getByTestId('lang-switch').click();

    // A's save would overwrite B's unseen one: refused, and B's settings stay.
    await pageA.getByTestId('save').click();
    await expect(pageA.getByTestId('save-outcome')).toHaveText(
      '登録できませんでした。他の画面で設定が変更されています。読み込み直してから登録してください。',
    );
    await expect(pageA.getByTestId('save-outcome')).not.toContainText('登録しました');
    await expect(field(pageA, 6)).toHaveValue('pop.typed-in-a.test');
    await pageA.screenshot({ path: `${SHOTS}/settings-stale-save-refused.png`, fullPage: true });

    await pageA.getByTestId('reload-settings').click();
    await expect(notice).toBeHidden();
    await expect(field(pageA, 7)).toHaveValue('smtp.saved-by-b.test');
    await expect(field(pageA, 6)).toHaveValue('mail.sandbox.test');
    await expect(pageA.getByTestId('save-outcome')).toBeEmpty();

    // Reloaded, A saves; B, which typed nothing since, simply follows.
    await field(pageA, 6).fill('pop.saved-by-a.test');
    await save(pageA);
    await expect(field(pageB, 6)).toHaveValue('pop.saved-by-a.test');
    await expect(field(pageB, 7)).toHaveValue('smtp.saved-by-b.test');
    await expect(pageB.getByTestId('changed-elsewhere')).toBeHidden();
  } finally {
    await backend.dispose();
  }
});
