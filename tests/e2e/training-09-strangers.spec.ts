// 研修課題 9: 3.コマンド許可アドレス and 4.コマンド暗証番号: the stranger's waiting command is
// dropped unanswered, a wrong PIN is ignored, the right PIN runs the pump.
import { test } from '@playwright/test';
import { changeSettings, phoneSends, receiveNow, restart } from './fixtures/screens';
import { beginExercise, exerciseDone, stepMet, stepMissing } from './fixtures/training';

test('strangers and wrong PINs are ignored', async ({ page }) => {
  const backend = await beginExercise(page, 'strangers');
  try {
    await changeSettings(page, { 3: 'operator@sandbox.test', 4: '2468' });
    await stepMissing(page, 0, /携帯以外からのコマンドも受け付けます/);
    await restart(page);
    await stepMet(page, 0);
    await stepMet(page, 1);
    await stepMet(page, 2);
    await stepMissing(page, 3, /誤った暗証番号のメールをまだ試していません/);
    await phoneSends(page, 'SET PUMP1 ON', 'PIN 1111');
    await receiveNow(page);
    await stepMet(page, 3);
    await stepMissing(page, 4, /PUMP1 はまだ OFF です/);
    await phoneSends(page, 'SET PUMP1 ON', 'PIN 2468');
    await receiveNow(page);
    await stepMet(page, 4);
    await exerciseDone(page, 'strangers', 'training-strangers-done.png');
  } finally {
    await backend.dispose();
  }
});
