// A `?` beside every field of 「Eメール接続環境設定」 (5–12 and ours 1–4) opens that field's help
// entry, and 戻る returns to the screen; every other screen has a `?` to its own section; the
// help carries the manual's provider → field table and the command reference.
import { test, expect } from '@playwright/test';
import { SHOTS, followHelp, openScreen, openSimulator } from './fixtures/screens';

const LABELS: Record<number, string> = {
  1: '1.メール受信間隔時間(分)', 2: '2.警報メール宛先', 3: '3.コマンド許可アドレス', 4: '4.コマンド暗証番号',
  5: '5.SMTP名', 6: '6.POPサーバ名', 7: '7.SMTPサーバ名', 8: '8.自分のメールアドレス名',
  9: '9.E-Mailユーザ名', 10: '10.E-Mailパスワード', 11: '11.PopBeforeSmtp', 12: '12.SmtpAuthLogin',
};

test('the ? of every field opens its own entry and 戻る comes back', async ({ page }) => {
  test.setTimeout(120_000);
  const backend = await openSimulator(page);
  try {
    await openScreen(page, 'settings');
    await page.screenshot({ path: `${SHOTS}/settings-field-help-buttons.png`, fullPage: true });
    for (let n = 1; n <= 12; n++) {
      const link = page.getByTestId('row-' + n).getByTestId(`help-field-${n}`);
      const entry = await followHelp(page, link, `field-${n}`);
      await expect(entry).toBeFocused();
      await expect(entry.locator('dt')).toContainText(LABELS[n]);
      if (n === 6) await page.screenshot({ path: `${SHOTS}/help-field-6.png` });
      await page.getByTestId('help-back').click();
      await expect(page.getByTestId('settings-screen')).toBeVisible();
    }
    // Our fields after 12 and the language of the mails: the same ? as 1–12, as easy to see.
    const look = (id: string) => page.getByTestId(id).evaluate((e) => {
      const s = getComputedStyle(e);
      return [s.color, s.backgroundColor, s.borderTopColor, s.width, s.height].join(' ');
    });
    const usual = await look('help-field-5');
    for (const id of ['help-field-13', 'help-field-14', 'help-mail-lang']) {
      expect(await look(id), id).toBe(usual);
    }
    await page.getByTestId('row-mail-lang').screenshot({ path: `${SHOTS}/settings-mail-lang-help.png` });
    await page.getByTestId('help-mail-lang').click();
    await expect(page).toHaveURL(/#help\/mail-lang$/);
    await page.getByTestId('help-back').click();
    await expect(page.getByTestId('settings-screen')).toBeVisible();
  } finally {
    await backend.dispose();
  }
});

test('every screen has a ? to its section; the help has the provider table and every command', async ({ page }) => {
  const backend = await openSimulator(page);
  try {
    for (const [name, entry] of [['console', 'console'], ['points', 'points'], ['phone', 'phone'], ['log', 'log'], ['isp', 'isp']] as const) {
      await openScreen(page, name);
      await page.getByTestId(`help-${entry}`).click();
      await expect(page.getByTestId(`help-entry-${entry}`)).toBeInViewport();
      await page.getByTestId('help-back').click();
      await expect(page.getByTestId(`${name}-screen`)).toBeVisible();
    }

    await openScreen(page, 'settings');
    await page.getByTestId('caution-delete').getByTestId('help-account').click();
    const account = page.getByTestId('help-entry-account');
    await expect(account).toContainText('新規メールアカウント');
    await expect(account).toContainText('削除され残りません');
    const table = page.getByTestId('provider-table');
    for (const [given, field] of [['ユーザ名', '9.E-Mailユーザ名'], ['パスワード', '10.E-Mailパスワード'],
      ['メールアドレス', '8.自分のメールアドレス名'], ['POPサーバ名', '6.POPサーバ名'],
      ['SMTPサーバ名', '7.SMTPサーバ名'], ['SMTP名（services）', '5.SMTP名']]) {
      await expect(table.locator('tr', { hasText: given }).first()).toContainText(field);
    }
    await page.screenshot({ path: `${SHOTS}/help-account.png` });
    await table.getByTestId('provider-9').click();
    await expect(page.getByTestId('help-entry-field-9')).toBeInViewport();

    await page.getByRole('button', { name: 'コマンドメール一覧' }).click();
    const reference = page.getByTestId('command-reference');
    await expect(reference).toBeInViewport();
    for (const form of ['HELP / ヘルプ / ?', 'LIST / 一覧', 'GET <ポイント>', 'SET <ポイント> <値>', 'ALARM / 警報', 'PIN <数字> / 暗証 <数字>']) {
      await expect(reference).toContainText(form);
    }
    await expect(reference).toContainText('OK PUMP1: OFF → ON');
    await expect(page.getByTestId('no-commands-reply')).toContainText('HELP と送るとコマンド一覧を返信します');
    await page.screenshot({ path: `${SHOTS}/help-commands.png` });
  } finally {
    await backend.dispose();
  }
});
