// What the instructor does to a class: set its ISP, return one trainee to the start (after a
// confirm), and download the class's records as one JSON Lines file with every trainee's name.
import { test, expect } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { Browsers, CLASS, openInstructor, startClass, traineeRow } from './fixtures/classroom';

test('the instructor sets the ISP, resets a trainee and downloads the records', async ({ browser }) => {
  test.setTimeout(90_000);
  const backend = await startClass();
  const browsers = new Browsers(browser);
  try {
    const [pageA, pageB] = await browsers.trainees(backend, '山田', '佐藤');
    await pageA.getByTestId('exercise-list-toggle').click();
    await pageA.getByTestId('exercise-start-op25b').click();
    await expect(pageA.getByTestId('current-exercise')).toHaveAttribute('data-exercise', 'op25b');

    const teacher = await browsers.open({ acceptDownloads: true });
    const page = await teacher.newPage();
    await openInstructor(page, backend);
    const row = traineeRow(page, '山田');
    await expect(row.getByTestId('trainee-state')).toHaveAttribute('data-state', 'in-progress');

    // The class's ISP: applied for both trainees.
    await expect(page.getByTestId('isp-class')).toHaveValue(CLASS);
    await page.getByTestId('policy-op25b').selectOption('off');
    await page.getByTestId('apply-policy').click();
    await expect(page.getByTestId('instructor-outcome')).toHaveText('2 人に反映しました。');

    // Reset asks first, naming the trainee; declined, 山田 keeps the exercise; accepted, 山田
    // is back at the start and 佐藤 is untouched.
    const questions: string[] = [];
    let answer = false;
    page.on('dialog', (dialog) => {
      questions.push(dialog.message());
      return answer ? dialog.accept() : dialog.dismiss();
    });
    await row.getByTestId('trainee-reset').click();
    await expect.poll(() => questions.length).toBe(1);
    expect(questions[0]).toContain('山田');
    await expect(pageA.getByTestId('current-exercise')).toHaveAttribute('data-exercise', 'op25b');
    answer = true;
    await row.getByTestId('trainee-reset').click();
    await expect.poll(() => questions.length).toBe(2);
    await expect(pageA.getByTestId('current-exercise')).toHaveCount(0);
    await expect(pageB.getByTestId('session-name')).toHaveText('佐藤');

    // The records: one file, one JSON object a line, both trainees named.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByTestId(`class-${CLASS}`).getByTestId('class-records').click(),
    ]);
    expect(download.suggestedFilename()).toBe(`karacrix-class-${CLASS}-records.jsonl`);
    const text = readFileSync(await download.path(), 'utf8');
    const lines = text.split('\n').filter((line) => line.trim() !== '');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) JSON.parse(line);
    expect(text).toContain('山田');
  } finally {
    await browsers.close();
    await backend.dispose();
  }
});
