// 研修課題 3: the ISP requires SMTP AUTH: the reply fails with 530 until 12.SmtpAuthLogin runs.
import { test } from '@playwright/test';
import { changeSettings, restart, statusShows } from './fixtures/screens';
import { beginExercise, exerciseDone, stepMet, stepMissing } from './fixtures/training';

test('SMTP AUTH required: 12.SmtpAuthLogin, RST, the reply arrives', async ({ page }) => {
  const backend = await beginExercise(page, 'smtp-auth');
  try {
    await statusShows(page, 'err auth required (530)');
    await stepMet(page, 0);
    await changeSettings(page, { 12: true, 11: false });
    await stepMissing(page, 1, /まだログイン認証をしていません/);
    await restart(page);
    await stepMet(page, 1);
    await stepMet(page, 2, 90_000);
    await exerciseDone(page, 'smtp-auth', 'training-smtp-auth-done.png');
  } finally {
    await backend.dispose();
  }
});
