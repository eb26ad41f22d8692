// The phone's preview normalises a mail as the engine does (NFKC): in the browser the shared
// parser uses the browser's own String.prototype.normalize('NFKC') rather than the tables the
// back end carries, so the forms phones really send are checked here against their plain forms.
import { test, expect, Page } from '@playwright/test';
import { openScreen, openSimulator } from './fixtures/screens';

/** Each line a phone may send, and the plain line it must mean exactly the same as. */
const SAME_AS: [string, string][] = [
  // Full-width letters and digits, ideographic spaces.
  ['ＳＥＴ　ＰＵＭＰ１　ＯＮ', 'SET PUMP1 ON'],
  ['ｇｅｔ　ｔｅｍｐ１', 'GET TEMP1'],
  ['SET SETP1 ２２．５', 'SET SETP1 22.5'],
  // Half-width katakana with a separate (han)dakuten mark, composed: ﾎﾟ → ポ, ﾌﾟ → プ.
  ['給水ﾎﾟﾝﾌﾟ＝入', '給水ポンプ=入'],
  // Decomposed kana (a base and a combining mark), composed the same way.
  ['給水ホ\u309Aンフ\u309A=切', '給水ポンプ=切'],
  // Full-width question mark and a zero-width space in the middle.
  ['換気ファン？', '換気ファン?'],
  ['LI\u200BGHT1?', 'LIGHT1?'],
];

async function meanings(page: Page, lines: string[]): Promise<string[]> {
  await page.getByTestId('phone-body').fill(lines.join('\n'));
  const preview = page.getByTestId('preview-line');
  await expect(preview).toHaveCount(lines.length);
  return preview.locator('.preview-meaning').allInnerTexts();
}

test('the preview reads full-width, half-width and decomposed forms as their plain forms', async ({ page }) => {
  const backend = await openSimulator(page);
  try {
    await openScreen(page, 'phone');
    await page.getByTestId('phone-subject').fill('');

    // The points list arrives with the state; until then no point is known.
    const plain = SAME_AS.map(([, p]) => p);
    await expect(async () => {
      await page.getByTestId('phone-body').fill(plain.join('\n'));
      await expect(page.locator('[data-testid=preview-line][data-ok=true]')).toHaveCount(plain.length, {
        timeout: 500,
      });
    }).toPass({ timeout: 15_000 });
    const expected = await meanings(page, plain);
    expect(expected.every((m) => m.startsWith('✓'))).toBe(true);

    const sent = SAME_AS.map(([s]) => s);
    expect(await meanings(page, sent)).toEqual(expected);
    await expect(page.locator('[data-testid=preview-line][data-ok=true]')).toHaveCount(sent.length);
  } finally {
    await backend.dispose();
  }
});
