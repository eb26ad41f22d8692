// The menus as the manual gives them: メインメニュー → システム設定 (a sub-menu of its own, with
// 2.Eメール環境) → 「Eメール接続環境設定」; the GUI呼出コンソール is not in the menu but appears when
// the main menu is closed, and the restart help says that step.
import { test, expect } from '@playwright/test';
import { SHOTS, openSimulator } from './fixtures/screens';

test('the e-mail settings sit under システム設定 and the console behind the closed menu', async ({ page }) => {
  const backend = await openSimulator(page);
  try {
    const menu = page.getByTestId('main-menu');
    await expect(menu).toBeVisible();
    // The console is not an entry of the main menu.
    await expect(menu.getByText('GUI呼出コンソール', { exact: true })).toHaveCount(0);
    await expect(menu.getByTestId('menu-settings')).toHaveText(/^1\.\s*システム設定$/);
    await page.screenshot({ path: `${SHOTS}/main-menu.png`, fullPage: true });

    await page.getByTestId('menu-settings').click();
    await expect(page.getByTestId('screen-title')).toHaveText('システム設定');
    await expect(page.getByTestId('system-email')).toHaveText(/^2\.\s*Eメール環境$/);
    await page.screenshot({ path: `${SHOTS}/system-menu.png`, fullPage: true });
    await page.getByTestId('system-email').click();
    await expect(page.getByTestId('screen-title')).toHaveText('Eメール接続環境設定');
    await expect(page.getByTestId('menu-path')).toHaveText('メインメニュー → システム設定 → 2.Eメール環境');

    // Back one level at a time, then close the main menu: the console appears.
    await page.getByTestId('back-to-menu').click();
    await expect(page.getByTestId('system-screen')).toBeVisible();
    await page.getByTestId('back-to-menu').click();
    await expect(menu).toBeVisible();
    await page.getByTestId('menu-close').click();
    await expect(page.getByTestId('screen-title')).toHaveText(/^GUI呼出コンソール/);
    await expect(page.getByTestId('rst')).toBeVisible();
    await page.screenshot({ path: `${SHOTS}/console-after-closing-menu.png`, fullPage: true });
    await expect(page.getByTestId('back-to-menu')).toHaveText('メインメニューを開く');

    // The console's help names the step and leads back to the console.
    await page.getByTestId('help-console').click();
    await expect(page.getByTestId('help-entry-console')).toContainText('メインメニューを閉じると現れます');
    await expect(page.getByTestId('help-entry-console')).toContainText('今すぐ受信');
    await expect(page.getByTestId('help-entry-restart')).toContainText(
      'メインメニューまで戻り、メインメニューを閉じて、GUI呼出コンソール画面より再起動（RST）',
    );
    await page.getByTestId('help-back').click();
    await expect(page.getByTestId('console-screen')).toBeVisible();
    await page.getByTestId('back-to-menu').click();
    await expect(menu).toBeVisible();
  } finally {
    await backend.dispose();
  }
});
