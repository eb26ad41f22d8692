// The training walkthrough of the e-mail environment, end to end and through the screens only:
// the sandbox account with 5.SMTP名 `smtp` (the ISP blocks port 25: OP25B) → RST → the phone sends
// `SET PUMP1 ON` → the command runs but its reply cannot leave: frame (3) shows `err timeout`, and
// its help explains OP25B and submission → switch to `submission` with SmtpAuthLogin → RST →
// `run (N)` → PUMP1 is ON, the reply reaches the phone → a door opens → the alarm mail arrives.
import { test, expect, Page } from '@playwright/test';
import {
  SANDBOX_ACCOUNT, SHOTS, SUBMISSION, field, fillAccount, fillFields, followHelp, openScreen, openSimulator, restart,
  save,
} from './fixtures/screens';

/** Checks the phone's inbox until a message whose subject matches `subject` is listed. */
async function waitForMail(page: Page, subject: RegExp) {
  const wanted = page.getByTestId('inbox-message').filter({
    has: page.getByTestId('inbox-subject').filter({ hasText: subject }),
  });
  await expect(async () => {
    const check = page.getByTestId('phone-check');
    await expect(check).toBeEnabled();
    await check.click();
    await expect(page.getByTestId('phone-outcome')).toHaveText(/受信箱を確認しました/);
    await expect(wanted.first()).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 45_000, intervals: [500, 1_000] });
  return wanted.first();
}

test('OP25B blocks the reply on smtp; submission with SmtpAuthLogin delivers replies and alarms', async ({ page }) => {
  test.setTimeout(180_000);
  const backend = await openSimulator(page);
  try {
    // The sandbox account, sending on smtp (25) with PopBeforeSmtp, the usual first try.
    await openScreen(page, 'settings');
    // 10 minutes, the safe order the help recommends (10 s at the tests' time scale): frame (3)
    // keeps showing a failure until the next poll, and "receive now" is what fetches the command.
    await fillAccount(page, SANDBOX_ACCOUNT.password, { 1: '10' });
    await expect(field(page, 5)).toHaveValue('smtp');
    await expect(field(page, 11)).toBeChecked();
    await save(page);
    await restart(page);

    // The phone writes to the system; the preview reads it as the engine will.
    await openScreen(page, 'phone');
    await expect(page.getByTestId('phone-to')).toHaveValue(SANDBOX_ACCOUNT.address);
    await page.getByTestId('phone-subject').fill('SET PUMP1 ON');
    const line = page.getByTestId('preview-line');
    await expect(line).toHaveCount(1);
    await expect(line).toHaveAttribute('data-ok', 'true');
    await expect(line).toContainText('PUMP1 給水ポンプ を ON にします（現在 OFF）');
    await page.screenshot({ path: `${SHOTS}/phone-compose.png`, fullPage: true });
    await page.getByTestId('phone-send').click();
    await expect(page.getByTestId('phone-outcome')).toHaveText(/送信しました/);

    // The system reads it; the reply goes out on port 25, which the ISP blocks.
    await openScreen(page, 'console');
    await page.getByTestId('receive-now').click();
    const display = page.getByTestId('status-display');
    await expect(display).toHaveText('err timeout', { timeout: 30_000 });
    await expect(page.getByTestId('outbox')).not.toHaveText('0');
    await page.screenshot({ path: `${SHOTS}/walkthrough-err-timeout.png`, fullPage: true });
    const entry = await followHelp(page, page.getByTestId('status-help'), 'err-timeout');
    await expect(entry).toContainText('OP25B');
    await expect(entry).toContainText('submission');
    await page.screenshot({ path: `${SHOTS}/walkthrough-help-err-timeout.png` });

    // The fix the help gives: submission (587) with SmtpAuthLogin instead of PopBeforeSmtp.
    await page.getByTestId('help-to-settings').click();
    await expect(page.getByTestId('settings-screen')).toBeVisible();
    await fillFields(page, SUBMISSION);
    await save(page);
    await restart(page);
    await expect(display).toHaveText(/^run \(\d+\)$/, { timeout: 30_000 });
    // The reply waits out its backoff from the failed attempts, then leaves.
    await expect(page.getByTestId('outbox')).toHaveText('0', { timeout: 90_000 });
    await page.screenshot({ path: `${SHOTS}/walkthrough-run.png`, fullPage: true });

    // The command ran once: the pump is on, and the reply reached the phone.
    await openScreen(page, 'points');
    await expect(page.getByTestId('value-PUMP1')).toHaveText('ON');
    await expect(page.getByTestId('op-on-PUMP1')).toHaveAttribute('aria-pressed', 'true');
    await openScreen(page, 'phone');
    const reply = await waitForMail(page, /^Re: SET PUMP1 ON$/);
    await expect(reply.getByTestId('inbox-text')).toContainText('SET PUMP1 ON');
    await reply.getByTestId('inbox-raw-toggle').click();
    await expect(reply.getByTestId('inbox-raw')).toBeVisible();
    await expect(reply.getByTestId('inbox-raw')).toContainText('In-Reply-To:');
    await page.screenshot({ path: `${SHOTS}/walkthrough-reply.png`, fullPage: true });

    // A training input: the door opens, the point goes into alarm, the alarm mail arrives.
    await openScreen(page, 'points');
    await page.getByTestId('sim-on-DOOR1').click();
    await expect(page.getByTestId('point-DOOR1')).toHaveAttribute('data-alarm', 'true');
    await expect(page.getByTestId('alarm-DOOR1')).toHaveText('接点警報');
    // The plant model moves other points too (the room warms), so only DOOR1's part is certain.
    await expect(page.getByTestId('alarm-summary')).toHaveText(/^警報発生中のポイント: \d+$/);
    await page.screenshot({ path: `${SHOTS}/walkthrough-points-alarm.png`, fullPage: true });
    await openScreen(page, 'phone');
    const alarm = await waitForMail(page, /DOOR1.*発生|発生.*DOOR1/);
    await expect(alarm).toBeVisible();
    await page.screenshot({ path: `${SHOTS}/walkthrough-alarm-mail.png`, fullPage: true });
  } finally {
    await backend.dispose();
  }
});

test('the points screen sets set-points, takes training inputs and shows what is refused', async ({ page }) => {
  const backend = await openSimulator(page);
  try {
    await openScreen(page, 'points');
    await expect(page.getByTestId('point-SETP1')).toBeVisible();
    // Out of the set-point range: caught before sending, with the range.
    await page.getByTestId('ao-input-SETP1').fill('999');
    await page.getByTestId('ao-input-SETP1').press('Enter');
    await expect(page.getByTestId('points-outcome')).toContainText('範囲外です');
    // A set-point in range is applied.
    await page.getByTestId('ao-input-SETP1').fill('２５');
    await page.getByTestId('ao-set-SETP1').click();
    await expect(page.getByTestId('value-SETP1')).toHaveText('25.0 ℃');
    // A pushed temperature past the high limit raises the alarm; bringing it back clears it.
    await page.getByTestId('sim-input-TEMP1').fill('45');
    await page.getByTestId('sim-set-TEMP1').click();
    await expect(page.getByTestId('point-TEMP1')).toHaveAttribute('data-alarm', 'true');
    await expect(page.getByTestId('alarm-TEMP1')).toHaveText('上限警報');
    await page.screenshot({ path: `${SHOTS}/points-alarm.png`, fullPage: true });
    // Past what the sensor can read (its range): the back end refuses, and says why.
    await page.getByTestId('sim-input-TEMP1').fill('999');
    await page.getByTestId('sim-set-TEMP1').click();
    await expect(page.getByTestId('points-outcome')).toContainText('TEMP1: 操作できませんでした。');
    await expect(page.getByTestId('points-outcome')).toHaveClass(/error/);
    await page.getByTestId('sim-input-TEMP1').fill('20');
    await page.getByTestId('sim-set-TEMP1').click();
    await expect(page.getByTestId('point-TEMP1')).toHaveAttribute('data-alarm', 'false');
  } finally {
    await backend.dispose();
  }
});
