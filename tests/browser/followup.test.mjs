// The follow-up page (issue 13) in a real browser: Debian's headless chromium driven by
// playwright-core against the real brygga binary over HTTPS.
//
// A municipality enrolls a patient; service management logs in with the followup role's dev
// token, picks 2026 and sees the patient among the enrolled at Kungsbacka, with Chart.js charts
// and the tables; the patients table downloads as CSV with the small count as "<5", which the
// integration team gets exactly. The page switches to English and back, redrawing its figures.
// The followup token reads /fhir/Measure and nothing of the patients. Screenshot: BRYGGA_OUT_DIR/followup.png.
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServe } from './serve.mjs';

const bin = process.env.BRYGGA_BIN;
const certs = process.env.BRYGGA_CERTS_DIR;
const source = process.env.BRYGGA_SOURCE_DIR;
const out = process.env.BRYGGA_OUT_DIR;
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';

let failures = 0;
function check(condition, what) {
  if (condition) {
    console.log('ok   ' + what);
  } else {
    failures++;
    console.log('FAIL ' + what);
  }
}

function send(port, method, target, token, body) {
  const headers = { 'Content-Type': 'application/fhir+json' };
  if (token) headers.Authorization = 'Bearer ' + token;
  return new Promise((resolve, reject) => {
    const req = https.request({ host: 'localhost', port, path: target, method, ca: fs.readFileSync(path.join(certs, 'ca.crt')), headers }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function main() {
  const dir = fs.mkdtempSync(path.join(out, 'followup-'));
  const gateway = await startServe({ bin, certs, source, dir });
  const port = gateway.port;
  let browser;
  try {
    const enrollment = fs.readFileSync(path.join(source, 'tests', 'testdata', 'enrollment-bundle.json'), 'utf8');
    const posted = await send(port, 'POST', '/fhir', 'dev-token-kungsbacka', enrollment);
    check(posted.status === 200, 'a kungsbacka enrollment (from March 2026) is accepted (' + posted.status + ')');

    const patients = await send(port, 'GET', '/fhir/Patient', 'dev-token-followup');
    check(patients.status === 403, 'the followup role reads no patient data (' + patients.status + ')');
    const report = await send(port, 'GET', '/fhir/Measure/enrolled-patients/$evaluate-measure?periodStart=2026-04-01&periodEnd=2026-04-30', 'dev-token-followup');
    check(report.status === 200 && JSON.parse(report.body).group[0].population[0].count === 1,
      'the followup role evaluates a Measure: one patient enrolled in April');

    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const consoleErrors = [];
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of 401/.test(m.text())) consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));

    await page.goto('https://localhost:' + port + '/console/followup.html');
    await page.locator('#fu-login').waitFor({ state: 'visible' });
    check((await page.locator('#fu-login-button').textContent()) === 'Logga in', 'the page is in Swedish');
    await page.fill('#fu-token', 'dev-token-followup');
    await page.click('#fu-login-button');
    await page.locator('#fu-page').waitFor({ state: 'visible' });
    await page.fill('#fu-year', '2026');
    await page.click('#fu-show');
    const row = page.locator('#fu-table-patients tbody tr').filter({ hasText: '2026-04' }).filter({ hasText: 'Kungsbacka' });
    await row.first().waitFor({ state: 'visible' });
    const cells = await row.first().locator('td').allTextContents();
    check(cells[2] === '1' && cells[3] === '0', 'April 2026 shows one patient enrolled at Kungsbacka, none new (' + cells.join(' | ') + ')');
    const march = await page.locator('#fu-table-patients tbody tr').filter({ hasText: '2026-03' }).filter({ hasText: 'Kungsbacka' }).first().locator('td').allTextContents();
    check(march[3] === '1', 'March 2026 shows the new enrollment');
    for (const id of ['contacts', 'patients', 'requests', 'readmissions']) {
      check((await page.locator('#fu-section-' + id).count()) === 1 && (await page.locator('#fu-download-' + id).count()) === 1,
        'the ' + id + ' table is shown with its download');
    }
    check((await page.locator('#fu-sections canvas').count()) >= 10, 'charts: contacts and patients per service point, requests, readmissions');
    await page.screenshot({ path: path.join(out, 'followup.png'), fullPage: true });

    const csv = await page.evaluate(async () => {
      const r = await fetch('api/followup/patients.csv?year=2026',
        { headers: { Authorization: 'Bearer ' + sessionStorage.getItem('brygga.console.token') } });
      return { status: r.status, type: r.headers.get('content-type'), text: await r.text() };
    });
    check(csv.status === 200 && /text\/csv/.test(csv.type), 'the patients table downloads as CSV');
    check(csv.text.startsWith('Månad,Serviceställe,Inskrivna patienter') && /\n2026-04,kungsbacka,<5,0,0,0\r/.test(csv.text),
      'the exported count of one reads "<5" for service management');
    // English, one click away: the page redraws its figures without a reload, keeps the choice
    // across a reload (the console's key), and the download asks for English headings.
    await page.click('#lang');
    await page.locator('#fu-section-patients h2', { hasText: 'Enrolled patients and short-term care' }).waitFor();
    check((await page.getAttribute('html', 'lang')) === 'en', 'the page switches to English (<html lang="en">)');
    check((await page.locator('#fu-table-patients thead th').first().textContent()) === 'Month' &&
      (await page.locator('#fu-download-patients').textContent()) === 'Download CSV',
      'the tables and buttons are redrawn in English');
    const aprilEn = await page.locator('#fu-table-patients tbody tr').filter({ hasText: '2026-04' }).filter({ hasText: 'Kungsbacka' }).first().locator('td').allTextContents();
    check(aprilEn[2] === '1', 'the figures stay the same in English');
    await page.reload();
    await page.locator('#fu-section-contacts h2', { hasText: 'Physician contacts per month and service point' }).waitFor();
    check((await page.title()) === 'Brygga follow-up', 'English is remembered across a reload');
    const csvEn = await page.evaluate(async () => {
      const r = await fetch('api/followup/patients.csv?year=2026&lang=en',
        { headers: { Authorization: 'Bearer ' + sessionStorage.getItem('brygga.console.token') } });
      return { status: r.status, text: await r.text() };
    });
    check(csvEn.status === 200 && csvEn.text.startsWith('Month,Service point,Enrolled patients'), 'the CSV has English headings with lang=en');
    await page.click('#lang');
    await page.locator('#fu-section-patients h2', { hasText: 'Inskrivna patienter och korttidsboende' }).waitFor();
    check((await page.getAttribute('html', 'lang')) === 'sv', 'and back to Swedish');

    const exact = await send(port, 'GET', '/console/api/followup/patients.csv?year=2026', 'dev-token-integration');
    check(exact.status === 200 && /\n2026-04,kungsbacka,1,0,0,0\r/.test(exact.body), 'the integration team exports the exact count');
    const municipal = await send(port, 'GET', '/console/api/followup?year=2026', 'dev-token-kungsbacka');
    check(municipal.status === 403, 'a municipality does not see the follow-up');
    check(consoleErrors.length === 0, 'no script errors or CSP violations' + (consoleErrors.length ? ': ' + consoleErrors.join(' | ') : ''));
  } finally {
    if (browser) await browser.close();
    gateway.child.kill('SIGTERM');
  }
  if (failures) {
    console.log(failures + ' check(s) failed; the gateway\'s data and log are in ' + dir);
    process.exit(1);
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error('FAIL ' + (e.stack || e.message));
  process.exit(1);
});
