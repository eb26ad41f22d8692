// Two trainees of one class, each in a browser of their own, work in simulations of their own:
// neither sees the other's settings, points, mail or protocol log.
import { test, expect, Page } from '@playwright/test';
import { SUBMISSION, applyAccount, field, openScreen, phoneSends, receiveNow, save } from './fixtures/screens';
import { Browsers, startClass } from './fixtures/classroom';

async function pointValue(page: Page, id: string) {
  await openScreen(page, 'points');
  return page.getByTestId(`value-${id}`);
}

test('two trainees of one class do not see each other', async ({ browser }) => {
  test.setTimeout(120_000);
  const backend = await startClass();
  const browsers = new Browsers(browser);
  try {
    const [pageA, pageB] = await browsers.trainees(backend, '山田', '佐藤');

    // Settings: what A saves is A's alone.
    await openScreen(pageA, 'settings');
    await field(pageA, 6).fill('pop.only-yamada.test');
    await save(pageA);
    await openScreen(pageB, 'settings');
    await expect(field(pageB, 6)).not.toHaveValue('pop.only-yamada.test');

    // Points: A's pump runs, B's does not.
    await openScreen(pageA, 'points');
    await pageA.getByTestId('op-on-PUMP1').click();
    await expect(await pointValue(pageA, 'PUMP1')).toHaveText('ON');
    await expect(await pointValue(pageB, 'PUMP1')).toHaveText('OFF');

    // Mail and log: A's phone talks to A's ISP; B's log has no SMTP line at all.
    await phoneSends(pageA, 'SET FAN1 ON');
    await openScreen(pageA, 'log');
    await expect(pageA.getByTestId('log-lines')).toContainText('MAIL FROM:<operator@sandbox.test>');
    await openScreen(pageB, 'log');
    await expect(pageB.locator('.log-line[data-service=smtp]')).toHaveCount(0);

    // Each engine reads only its own system's mailbox: B's command mail works B's plant.
    await phoneSends(pageB, 'SET LIGHT1 ON');
    // The sandbox account on `submission` with SMTP AUTH, receiving every (demo) minute.
    for (const page of [pageA, pageB]) await applyAccount(page, { 1: '1', ...SUBMISSION });
    for (const page of [pageA, pageB]) {
      await receiveNow(page);
      await expect(page.getByTestId('executed')).toHaveText('1', { timeout: 30_000 });
    }
    await expect(await pointValue(pageA, 'FAN1')).toHaveText('ON');
    await expect(pageA.getByTestId('value-LIGHT1')).toHaveText('OFF');
    await expect(await pointValue(pageB, 'LIGHT1')).toHaveText('ON');
    await expect(pageB.getByTestId('value-FAN1')).toHaveText('OFF');
    await openScreen(pageB, 'log');
    await expect(pageB.getByTestId('log-lines')).not.toContainText('pop.only-yamada.test');
  } finally {
    await browsers.close();
    await backend.dispose();
  }
});
