// Joining a class: the join page says why a join is refused (in the page's language, nothing
// typed lost); a trainee's page has no ISP form nor instructor switch, and neither the
// instructor's page nor a read-only view opens without the instructor's key.
import { test, expect } from '@playwright/test';
import { SHOTS, openScreen, waitLive } from './fixtures/screens';
import { Browsers, CLASS, at, openInstructor, openJoin, startClass } from './fixtures/classroom';

test('a refused join keeps the form; a trainee reaches neither the ISP nor the instructor', async ({ browser }) => {
  test.setTimeout(90_000);
  const backend = await startClass();
  const browsers = new Browsers(browser);
  try {
    const pageA = await browsers.trainee(backend, '山田');

    // The same name again, from another browser: refused, said in Japanese, then in English.
    const pageB = await (await browsers.open()).newPage();
    await openJoin(pageB, backend);
    await pageB.getByTestId('join-name').fill('山田');
    await pageB.getByTestId('join-submit').click();
    await expect(pageB.getByTestId('join-refusal')).toHaveText('その名前はこのクラスで使われています。別の名前にしてください。');
    await expect(pageB.getByTestId('join-name')).toHaveValue('山田');
    await expect(pageB.getByTestId('join-class')).toHaveValue(CLASS);
    await pageB.screenshot({ path: `${SHOTS}/classroom-join-refused.png`, fullPage: true });
    await pageB.getByTestId('lang-switch').click();
    await expect(pageB.getByTestId('join-refusal')).toHaveText('That name is taken in this class. Choose another one.');
    await pageB.getByTestId('lang-switch').click();
    // An unknown class is refused too; the name typed stays.
    await pageB.getByTestId('join-class').fill('ZZ9');
    await pageB.getByTestId('join-submit').click();
    await expect(pageB.getByTestId('join-refusal')).toHaveText(/そのクラスコードのクラスはありません/);
    await expect(pageB.getByTestId('join-name')).toHaveValue('山田');
    // A reload of a joined page goes straight to the simulator.
    await pageA.reload();
    await waitLive(pageA);
    await expect(pageA.getByTestId('session-name')).toHaveText('山田');

    // The trainee's ISP panel is the instructor's; no instructor switch in the panel.
    await openScreen(pageA, 'isp');
    await expect(pageA.getByTestId('isp-instructors')).toBeVisible();
    await expect(pageA.getByTestId('isp-client-addresses')).toContainText(/から ISP に接続します/);
    await expect(pageA.getByTestId('apply-policy')).toHaveCount(0);
    await expect(pageA.getByTestId('instructor-switch')).toHaveCount(0);
    await pageA.screenshot({ path: `${SHOTS}/classroom-trainee-isp.png`, fullPage: true });

    // The instructor's page: no key, then a wrong key.
    await pageA.goto(at(backend, '/instructor'));
    await expect(pageA.getByTestId('instructor-no-key')).toBeVisible();
    await openInstructor(pageA, backend, 'not-the-instructor-key');
    await expect(pageA.getByTestId('instructor-link-notice')).toBeVisible();
    await expect(pageA.getByTestId(`class-${CLASS}`)).toHaveCount(0);
    // A read-only view without a key does not open a socket at all.
    const pageC = await pageA.context().newPage();
    await pageC.goto(at(backend, '/?watch=anyone'));
    await expect(pageC.getByTestId('key-missing')).toBeVisible();
  } finally {
    await browsers.close();
    await backend.dispose();
  }
});

