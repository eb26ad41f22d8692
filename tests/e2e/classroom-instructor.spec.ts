// The instructor's page lists every trainee of the class with their progress, pushes an
// exercise to the whole class, and opens a trainee's screens read-only.
import { test, expect } from '@playwright/test';
import { SHOTS, openScreen } from './fixtures/screens';
import { Browsers, CLASS, openInstructor, startClass, traineeRow } from './fixtures/classroom';

test('the instructor sees both trainees and their progress', async ({ browser }) => {
  test.setTimeout(90_000);
  const backend = await startClass();
  const browsers = new Browsers(browser);
  try {
    const [pageA, pageB] = await browsers.trainees(backend, '山田', '佐藤');

    const teacher = await browsers.open();
    const page = await teacher.newPage();
    await openInstructor(page, backend);
    // The key left the address bar (it stays in the tab for reloads).
    expect(page.url()).not.toContain('key=');
    const section = page.getByTestId(`class-${CLASS}`);
    await expect(section.getByTestId('class-count')).toHaveText('2');
    for (const name of ['山田', '佐藤']) {
      await expect(traineeRow(page, name).getByTestId('trainee-pages')).toHaveText('1');
      await expect(traineeRow(page, name).getByTestId('trainee-state')).toHaveAttribute('data-state', /^(none|not-started)$/);
    }

    // A trainee starts an exercise from the panel: only that row shows it in progress.
    await pageA.getByTestId('exercise-list-toggle').click();
    await pageA.getByTestId('exercise-start-op25b').click();
    await expect(traineeRow(page, '山田').getByTestId('trainee-state')).toHaveAttribute('data-state', 'in-progress');
    await expect(traineeRow(page, '山田').getByTestId('trainee-state')).toHaveText(/^実施中（\d+分\d\d秒）$/);
    await expect(traineeRow(page, '山田').getByTestId('trainee-exercise')).toContainText('OP25B');
    await expect(traineeRow(page, '佐藤').getByTestId('trainee-state')).toHaveAttribute('data-state', /^(none|not-started)$/);

    // Pushed to the whole class: both are in it, and B's own panel shows it.
    await section.getByTestId('push-exercise-select').selectOption('smtp-auth');
    await section.getByTestId('push-exercise').click();
    await expect(page.getByTestId('instructor-outcome')).toHaveText('2 人に反映しました。');
    for (const name of ['山田', '佐藤']) {
      await expect(traineeRow(page, name).getByTestId('trainee-state')).toHaveAttribute('data-state', 'in-progress');
    }
    await expect(pageB.getByTestId('current-exercise')).toHaveAttribute('data-exercise', 'smtp-auth');
    await page.screenshot({ path: `${SHOTS}/classroom-instructor.png`, fullPage: true });
    // English, after the switch: the summary and the states too.
    await page.getByTestId('lang-switch').click();
    await expect(section.getByTestId('class-summary')).toContainText('Trainees: 2');
    await expect(traineeRow(page, '佐藤').getByTestId('trainee-state')).toHaveText(/^In progress \(\d+:\d\d\)$/);
    await page.screenshot({ path: `${SHOTS}/classroom-instructor-english.png`, fullPage: true });
    await page.getByTestId('lang-switch').click();

    // 閲覧: B's screens, read-only, in a new tab.
    const [watch] = await Promise.all([
      teacher.waitForEvent('page'),
      traineeRow(page, '佐藤').getByTestId('trainee-watch').click(),
    ]);
    await expect(watch.getByTestId('read-only-banner')).toHaveText('閲覧専用 — 研修生 佐藤 の画面');
    await expect(watch.getByTestId('current-exercise')).toHaveAttribute('data-exercise', 'smtp-auth');
    await openScreen(watch, 'settings');
    await expect(watch.getByTestId('save')).toBeDisabled();
    await watch.screenshot({ path: `${SHOTS}/classroom-watch.png`, fullPage: true });
  } finally {
    await browsers.close();
    await backend.dispose();
  }
});
