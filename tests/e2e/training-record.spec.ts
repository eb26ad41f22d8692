// The trainee's record after a walkthrough: each action once, in order, no password; it
// survives a reload and downloads as JSON Lines.
import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { applyAccount, openScreen, phoneSends, receiveNow } from './fixtures/screens';
import { beginExercise, exerciseDone, stepMet } from './fixtures/training';

test('the record holds each action once, in order, and no password', async ({ page }) => {
  const backend = await beginExercise(page, 'first-setup');
  try {
    await applyAccount(page, { 11: true });
    await exerciseDone(page, 'first-setup', 'training-record-walkthrough.png');
    await phoneSends(page, 'GET PUMP1');
    await receiveNow(page);

    // A reload keeps it, and the protocol log keeps its last lines.
    await page.reload();
    await expect(page.getByTestId('record-len')).not.toHaveText('0');
    await openScreen(page, 'log');
    await expect(page.getByTestId('log-lines')).toContainText('USER karacrix');
    const download = page.waitForEvent('download');
    await page.getByTestId('record-download').click();
    const file = await (await download).path();
    const text = readFileSync(file, 'utf8');
    expect(text).not.toContain('karacrix-pass');
    const entries = text.trim().split('\n').map((line) => JSON.parse(line));
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
    const actions = entries
      .map((e) => e.type)
      .filter((t) => ['exercise_started', 'saved', 'restarted', 'phone_sent', 'receive_now', 'completed'].includes(t));
    expect(actions).toEqual(['exercise_started', 'saved', 'restarted', 'completed', 'phone_sent', 'receive_now']);
    const saved = entries.find((e) => e.type === 'saved');
    expect(saved.changed).toEqual([
      'smtp_service', 'pop_server', 'smtp_server', 'address', 'user', 'password', 'pop_before_smtp',
    ]);
    expect(entries.some((e) => e.type === 'status' && e.status?.code === 'run')).toBeTruthy();
    await stepMet(page, 3);
  } finally {
    await backend.dispose();
  }
});
