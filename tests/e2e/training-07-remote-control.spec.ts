// 研修課題 7: SET PUMP1 ON from the phone, receive now, PUMP1 is ON and the reply is read.
import { test, expect } from '@playwright/test';
import { openScreen, phoneSends, receiveNow } from './fixtures/screens';
import { beginExercise, exerciseDone, stepMet, stepMissing } from './fixtures/training';

test('remote control from the phone', async ({ page }) => {
  const backend = await beginExercise(page, 'remote-control');
  try {
    await stepMissing(page, 0, /まだ携帯からのメールを読んでいません/);
    await phoneSends(page, 'SET PUMP1 ON');
    await stepMissing(page, 0, /まだ携帯からのメールを読んでいません/);
    await receiveNow(page);
    await stepMet(page, 0);
    await stepMet(page, 1);
    await stepMet(page, 2);
    await openScreen(page, 'points');
    await expect(page.getByTestId('value-PUMP1')).toHaveText('ON');
    await exerciseDone(page, 'remote-control', 'training-remote-control-done.png');
  } finally {
    await backend.dispose();
  }
});
