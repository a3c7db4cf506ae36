// The web console in a real browser: Debian's headless chromium driven by playwright-core against
// the real brygga binary over HTTPS, with a small regional EHR stand-in that refuses one patient.
//
// A user logs in with the integration team's dev token, sees an enrollment arrive on the
// overview without reloading, finds the refused patient by personnummer, opens the message, sees
// the receiver's answer, replays the dead letter through the confirmation dialog and sees it
// delivered; all in Swedish, the console's language. Then switches to English and back, without
// a reload, and finds the choice remembered. Screenshots go to BRYGGA_OUT_DIR.
//
// Environment: BRYGGA_BIN (the brygga binary), BRYGGA_CERTS_DIR (certs/make-dev-certs.sh output),
// BRYGGA_SOURCE_DIR (for the test data and mapping files), BRYGGA_OUT_DIR (screenshots, data),
// CHROMIUM (default /usr/bin/chromium).
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { startServe } from './serve.mjs';

const bin = process.env.BRYGGA_BIN;
const certs = process.env.BRYGGA_CERTS_DIR;
const source = process.env.BRYGGA_SOURCE_DIR;
const out = process.env.BRYGGA_OUT_DIR;
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';

const GOOD = { pnr: '19121212-1212', twelve: '191212121212', episode: 'E-1001' };
const REFUSED = { pnr: '19120304-9901', twelve: '191203049901', episode: 'E-1002' };

let failures = 0;
function check(condition, what) {
  if (condition) {
    console.log('ok   ' + what);
  } else {
    failures++;
    console.log('FAIL ' + what);
  }
}

async function waitFor(what, fn, timeoutMs = 20000) {
  const until = Date.now() + timeoutMs;
  let last;
  while (Date.now() < until) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e.message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('timed out waiting for ' + what + (last ? ' (last: ' + last + ')' : ''));
}

// The regional EHR stand-in: answers transactions, refusing the REFUSED patient's with 422 while
// `refuse` is set (a 4xx other than 408/409/429 makes a dead letter at once).
function startPeer() {
  const peer = { refuse: true, received: [] };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      const refused = body.includes(REFUSED.twelve);
      peer.received.push({ refused, at: Date.now() });
      res.setHeader('Content-Type', 'application/fhir+json');
      if (refused && peer.refuse) {
        res.statusCode = 422;
        res.end(JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'business-rule', diagnostics: 'the EHR has no care unit for this enrollment yet' }] }));
        return;
      }
      res.statusCode = 200;
      res.end(JSON.stringify({ resourceType: 'Bundle', type: 'transaction-response', entry: [] }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    peer.server = server;
    peer.url = 'http://127.0.0.1:' + server.address().port + '/fhir';
    resolve(peer);
  }));
}

function startGateway(peerUrl, dir) {
  return startServe({
    bin, certs, source, dir,
    extra: {
      server: { httpsBindAddress: '127.0.0.1', httpPort: -1, httpsPort: 0, maxBodyBytes: 65536 },
      destinations: { regional: { baseUrl: peerUrl, retryBaseMs: 200, retryMaxMs: 1000 } },
      delivery: { pollIntervalMs: 100 },
      audit: { checkpointIntervalMs: 1000 },
    },
  });
}

function enrollment(who) {
  let text = fs.readFileSync(path.join(source, 'tests', 'testdata', 'enrollment-bundle.json'), 'utf8');
  text = text.split(GOOD.pnr).join(who.pnr).split(GOOD.twelve).join(who.twelve).split(GOOD.episode).join(who.episode);
  if (who === REFUSED) text = text.split('"1912-12-12"').join('"1912-03-04"');
  return text;
}

function post(port, token, body) {
  return send(port, 'POST', '/fhir', token, body);
}

// A request to the gateway; `token` may be null (anonymous).
function send(port, method, target, token, body) {
  const headers = { 'Content-Type': 'application/fhir+json' };
  if (token) headers.Authorization = 'Bearer ' + token;
  return new Promise((resolve, reject) => {
    const req = https.request({ host: 'localhost', port, path: target, method, ca: fs.readFileSync(path.join(certs, 'ca.crt')), headers }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode, body: text }));
    });
    req.on('error', (e) => (e.code === 'EPIPE' || e.code === 'ECONNRESET' ? resolve({ status: 0, body: '' }) : reject(e)));
    req.end(body);
  });
}

async function cellText(page, selector) {
  const cell = page.locator(selector);
  return (await cell.count()) ? (await cell.first().textContent()).trim() : '';
}

async function main() {
  const dir = fs.mkdtempSync(path.join(out, 'run-'));
  const peer = await startPeer();
  const gateway = await startGateway(peer.url, dir);
  const base = 'https://localhost:' + gateway.port + '/console/';
  let browser;
  try {
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    // A browser in another zone: the console still shows Swedish time.
    const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 }, timezoneId: 'America/New_York' });
    const page = await context.newPage();
    const consoleErrors = [];
    // 401 and 403 are expected answers here (no token yet, a municipal token); anything else
    // logged as an error (a missing file, a script error, a CSP violation) is a failure.
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of 40[13]/.test(m.text())) consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    // The overview is live by Server-Sent Events: it never polls the summary.
    const summaryPolls = [];
    page.on('request', (r) => { if (r.url().includes('/console/api/summary')) summaryPolls.push(r.url()); });

    // Log in.
    await page.goto(base);
    await page.locator('#page-login').waitFor({ state: 'visible' });
    check(true, 'the login page is shown to a visitor without credentials');
    check((await page.getAttribute('html', 'lang')) === 'sv' && (await page.locator('#page-login h2').textContent()) === 'Logga in' &&
      (await page.locator('#lang').textContent()) === 'In English', 'the console is in Swedish, with English offered');
    await page.fill('#token', 'not-a-token');
    await page.click('#login-button');
    await waitFor('the refusal of a wrong token', async () => /godtogs inte/.test(await page.locator('#error').textContent()));
    check(true, 'a wrong token is told apart from no token');
    await page.fill('#token', 'dev-token-kungsbacka');
    await page.click('#login-button');
    await waitFor('the refusal of a municipal token', async () => /får inte/.test(await page.locator('#error').textContent()));
    check(await page.locator('#page-login').isVisible(), 'a municipal token does not open the console');
    await page.fill('#token', 'dev-token-integration');
    await page.click('#login-button');
    await page.locator('#page-overview').waitFor({ state: 'visible' });
    check((await page.locator('#who-name').textContent()).includes('integration'), 'logged in as the integration team');
    await waitFor('the first counts', async () => /Uppdaterad/.test(await page.locator('#updated').textContent()));
    // The gateways on the store: this one alone, alive, marked as the one answering.
    const self = page.locator('#gateways tr[data-gateway$=":' + gateway.child.pid + '"]');
    await waitFor('this gateway in the gateways table', async () => (await self.count()) === 1);
    check((await self.getAttribute('data-alive')) === 'true' && /den här/.test(await self.textContent()),
      'the overview lists this gateway as alive and as the one answering');
    check((await page.locator('#gateways-alive').textContent()) === '1 av 1 i drift', 'the overview counts the gateways alive');
    // Every municipality is listed before any has sent anything, each silent since ever.
    for (const tenant of ['kungsbacka', 'varberg', 'falkenberg', 'halmstad', 'laholm', 'hylte']) {
      const tr = page.locator('#tenants tr[data-tenant="' + tenant + '"]');
      check((await tr.count()) === 1 && (await tr.getAttribute('data-silent')) === 'never' &&
        (await tr.locator('td.silence').textContent()) === 'har aldrig skickat', tenant + ' is listed as never having sent anything');
    }

    // A message arrives while the overview is open: the counts change without a reload.
    const navigations = [];
    page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations.push(f.url()); });
    const good = await post(gateway.port, 'dev-token-kungsbacka', enrollment(GOOD));
    check(good.status === 200, 'the first enrollment is accepted (' + good.status + ')');
    await waitFor('kungsbacka received 1', async () => (await cellText(page, '#tenants tr[data-tenant="kungsbacka"] td:nth-child(2)')) === '1');
    check(true, 'the overview shows the message received from kungsbacka without a reload');
    check((await page.locator('#live').getAttribute('data-mode')) === 'live' && summaryPolls.length === 0,
      'the overview is updated by Server-Sent Events, not by polling (' + summaryPolls.length + ' polls)');
    await waitFor('kungsbacka no longer silent', async () => (await page.locator('#tenants tr[data-tenant="kungsbacka"]').getAttribute('data-silent')) !== 'never');
    check(/^(under en minut|\d+ min)$/.test(await cellText(page, '#tenants tr[data-tenant="kungsbacka"] td.silence')) &&
      (await cellText(page, '#tenants tr[data-tenant="varberg"] td.silence')) === 'har aldrig skickat',
      'kungsbacka shows how long it has been silent, varberg still never sent');
    await waitFor('regional delivered 1', async () => (await cellText(page, '#destinations-flow tr[data-destination="regional"] td:nth-child(5)')) === '1');
    check(true, 'the overview shows the delivery to the regional EHR');

    const refused = await post(gateway.port, 'dev-token-kungsbacka', enrollment(REFUSED));
    check(refused.status === 200, 'the second enrollment is accepted (' + refused.status + ')');
    await waitFor('a dead letter on the overview', async () => (await cellText(page, '#destinations-flow tr[data-destination="regional"] td:nth-child(8)')) === '1');
    check(navigations.filter((u) => !u.includes('#')).length === 0, 'the page was not reloaded while counting');
    check(true, 'the overview shows one dead letter for the regional EHR');
    await waitFor('the health banner', async () => (await page.locator('#health-list li[data-destination="regional"][data-state="dead-letters"]').count()) === 1);
    check((await page.locator('#health').textContent()).includes('1 ej levererbart meddelande att se över'), 'the banner says the regional EHR holds a dead letter');
    check((await cellText(page, '#destinations-flow tr[data-destination="regional"] td:nth-child(2)')) === 'har ej levererbara', 'the overview states the same as the banner');
    // The charts over the period: both messages from kungsbacka, every municipality drawn, the
    // delivery time of the one delivered, the regional queue.
    await waitFor('the received chart', async () => Number(await page.locator('#chart-received').getAttribute('data-sum')) === 2);
    check((await page.locator('#chart-received').getAttribute('data-series')).split(',').length === 6, 'the received chart has a line per municipality');
    await waitFor('the delivery time chart', async () => Number(await page.locator('#chart-latency').getAttribute('data-sum')) > 0);
    check(true, 'the delivery time chart shows the delivered enrollment');
    check((await page.locator('#chart-depth').getAttribute('data-series')) === 'regional', 'the queue depth chart has the regional EHR');
    check(Number(await page.locator('#chart-received').getAttribute('data-points')) === 60, 'an hour is drawn minute by minute');
    await page.screenshot({ path: path.join(out, 'console-overview.png'), fullPage: true });

    // The dead letter is named by its message's number and its receiver, and says what it is.
    await page.click('nav a[data-page="dead-letters"]');
    await waitFor('the dead letter row', async () => (await page.locator('#dead tbody tr[data-seq]').count()) === 1);
    {
      const dead = page.locator('#dead tbody tr[data-seq]');
      const seq = await dead.getAttribute('data-seq');
      check((await dead.locator('td').first().textContent()) === seq + ' \u2192 regional' &&
        (await dead.locator('td.kind').textContent()) === 'inskrivning',
        'the dead letter is "' + seq + ' \u2192 regional", an enrollment (inskrivning)');
    }

    // Find the refused patient by personnummer.
    await page.click('nav a[data-page="messages"]');
    await page.locator('#page-messages').waitFor({ state: 'visible' });
    await page.fill('#search-form input[name="patient"]', REFUSED.pnr);
    await page.click('#search-button');
    await waitFor('one search result', async () => (await page.locator('#results tbody tr').count()) === 1);
    const row = page.locator('#results tbody tr').first();
    check((await row.locator('.badge').getAttribute('data-status')) === 'dead' && (await row.locator('.badge').textContent()) === 'ej levererbar',
      'the search by personnummer finds the dead message (ej levererbar)');
    check(/422/.test(await row.locator('td.reason').textContent()), 'the search result says why it died (the receiver\'s 422)');
    check((await row.locator('td.kind').textContent()) === 'inskrivning', 'the search result says the message is an enrollment');
    const shownSeq = (await row.locator('td').first().textContent()).trim();
    check(/^\d+$/.test(shownSeq), 'the search result shows the message number (' + shownSeq + ')');
    // The kind is a filter: enrollments are found, consultations are not.
    await page.fill('#search-form input[name="patient"]', '');
    await page.selectOption('#search-form select[name="kind"]', 'enrollment');
    await page.click('#search-button');
    await waitFor('two enrollments', async () => (await page.locator('#results tbody tr').count()) === 2);
    check(true, 'filtering by kind finds both enrollments');
    await page.selectOption('#search-form select[name="kind"]', 'consultation');
    await page.click('#search-button');
    await waitFor('no consultation', async () => /Inga meddelanden hittades/.test(await page.locator('#search-note').textContent()));
    check((await page.locator('#results tbody tr').count()) === 0, 'filtering by consultation finds none');
    await page.selectOption('#search-form select[name="kind"]', '');
    await page.fill('#search-form input[name="patient"]', REFUSED.pnr);
    await page.click('#search-button');
    await waitFor('one search result again', async () => (await page.locator('#results tbody tr').count()) === 1);
    {
      const shown = (await row.locator('td').nth(1).textContent()).trim();
      // The message was received in the last few minutes: its hour is now's, or the previous
      // one's when an hour has turned since (Stockholm time, whatever the browser's zone).
      const hourOf = (d) => new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Stockholm', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', hourCycle: 'h23' }).format(d).replace(',', '').slice(0, 13);
      const expected = [hourOf(new Date()), hourOf(new Date(Date.now() - 10 * 60 * 1000))];
      check(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(shown) && expected.includes(shown.slice(0, 13)),
        'times are Swedish time with ISO dates in a New York browser (' + shown + ' vs ' + expected.join(' or ') + ')');
      // The date filters take Swedish time as text; a malformed one is told, not sent.
      await page.fill('#search-form input[name="from"]', '24/12/2026');
      await page.click('#search-button');
      await waitFor('the filter refusal', async () => /ÅÅÅÅ-MM-DD/.test(await page.locator('#error').textContent()));
      check(true, 'a date filter that is not YYYY-MM-DD is refused with the format');
      await page.fill('#search-form input[name="from"]', '2000-01-01 00:00');
      await page.click('#search-button');
      await waitFor('the result again', async () => (await page.locator('#results tbody tr').count()) === 1 && (await page.locator('#error').isHidden()));
      check(true, 'a Swedish-time filter finds the message');
    }

    // Open it: the receiver's answer is shown.
    await row.click();
    await page.locator('#page-message').waitFor({ state: 'visible' });
    await waitFor('the outbox entry', async () => (await page.locator('#m-outbox tbody tr[data-outbox]').count()) === 1);
    const answer = await page.locator('#m-outbox tbody').textContent();
    check(answer.includes('no care unit'), "the message shows the receiver's answer");
    check((await page.locator('#m-steps tbody tr').count()) >= 2, 'the message lists its steps (received, delivery attempt)');
    check((await page.locator('#m-audit li').count()) >= 2, 'the message lists its audit records');
    check((await cellText(page, '#m-facts tr[data-fact="mappingVersion"] th')) === 'Mappningsversion', 'the mapping version is shown');
    check((await cellText(page, '#m-facts tr[data-fact="kind"] td')) === 'inskrivning', 'the message says it is an enrollment');
    // One number: the message's; its forwarded copy is that number and its receiver.
    check((await page.locator('#m-seq').textContent()) === shownSeq, 'the message page has the number of the search result');
    check((await cellText(page, '#m-outbox tbody tr[data-outbox] td:nth-child(1)')) === shownSeq + ' \u2192 regional', 'the delivery is named by the message number and its receiver');

    // Replay through the confirmation dialog, once the receiver is fixed.
    peer.refuse = false;
    const before = peer.received.filter((r) => r.refused).length;
    await page.click('#m-outbox button.replay');
    await page.locator('#confirm').waitFor({ state: 'visible' });
    check((await page.locator('#confirm-text').textContent()).includes('igen'), 'replay asks for confirmation');
    check((await page.locator('#confirm-title').textContent()) === 'Skicka om meddelande ' + shownSeq + ' \u2192 regional?', 'the replay names the message by its number');
    await page.click('#confirm-ok');
    await waitFor('the replay notice', async () => (await page.locator('#flash').count()) === 1);
    check(true, 'the replay is confirmed to the user');
    await waitFor('the replayed delivery', async () => peer.received.filter((r) => r.refused).length > before);
    check(true, 'the regional EHR received the replayed message');
    await waitFor('delivered on the page', async () => {
      await page.evaluate(() => window.dispatchEvent(new HashChangeEvent('hashchange')));
      return (await page.locator('#m-status .badge').getAttribute('data-status')) === 'delivered' &&
        (await page.locator('#m-status .badge').textContent()) === 'levererad';
    });
    check(true, 'the message shows as delivered after the replay');
    await waitFor('the banner to clear', async () => page.locator('#health').isHidden());
    check(true, 'the health banner clears once no destination needs attention');

    // Viewing the content asks first (it is audited).
    await page.click('#show-payload');
    await page.click('#confirm-ok');
    await page.locator('#m-payload').waitFor({ state: 'visible' });
    check((await page.locator('#m-payload').textContent()).includes('Bundle'), 'the forwarded content can be shown');
    await page.screenshot({ path: path.join(out, 'console-message.png'), fullPage: true });

    // Requests refused before routing: listed with the sender, status and reason.
    check((await send(gateway.port, 'GET', '/nothing', null, '')).status === 404, 'an anonymous request to no endpoint is refused (404)');
    check((await send(gateway.port, 'POST', '/fhir', 'dev-token-varberg', ' '.repeat(128 * 1024))).status === 413, 'a body over the limit is refused (413)');
    await page.click('nav a[data-page="refusals"]');
    // (The 401s of the login page before it are listed too.)
    await waitFor('the 413 and the 404 listed', async () => (await page.locator('#refusals tbody tr[data-status="413"]').count()) === 1 &&
      (await page.locator('#refusals tbody tr[data-status="404"]').count()) === 1);
    {
      const big = page.locator('#refusals tbody tr[data-status="413"]');
      const lost = page.locator('#refusals tbody tr[data-status="404"]');
      check((await page.locator('#refusals tbody tr[data-status]').first().getAttribute('data-status')) === '413', 'the newest refusal is listed first');
      check((await big.locator('td.sender').textContent()) === 'varberg (organisation varberg)', 'the 413 names its sender, varberg');
      check((await lost.locator('td.sender').textContent()) === 'ej identifierad' && /127\.0\.0\.1/.test(await lost.textContent()) &&
        /no such endpoint/.test(await lost.locator('td.reason').textContent()), 'the anonymous 404 names its source address and why');
      await page.screenshot({ path: path.join(out, 'console-refusals.png'), fullPage: true });
    }

    // Both languages have every text, and every key the page names exists.
    {
      const missing = await page.evaluate(() => {
        const keys = [];
        for (const n of document.querySelectorAll('[data-i18n],[data-i18n-placeholder],[data-i18n-title],[data-i18n-aria-label]')) {
          keys.push(n.dataset.i18n, n.dataset.i18nPlaceholder, n.dataset.i18nTitle, n.dataset.i18nAriaLabel);
        }
        const sv = Object.keys(STRINGS.sv);
        const en = Object.keys(STRINGS.en);
        return keys.filter((k) => k && !(k in STRINGS.sv))
          .concat(sv.filter((k) => !(k in STRINGS.en)), en.filter((k) => !(k in STRINGS.sv)));
      });
      check(missing.length === 0, 'Swedish and English have the same keys, and the page names only those (' + missing.join(', ') + ')');
    }

    // English on request: applied at once, without a reload, and remembered.
    {
      // A mark in the page's window: a reload would lose it.
      await page.evaluate(() => { window.bryggaTestMark = 'before the switch'; });
      await page.click('#lang');
      await waitFor('English', async () => (await page.getAttribute('html', 'lang')) === 'en');
      check((await page.locator('nav a[data-page="overview"]').textContent()) === 'Overview' &&
        (await page.locator('#page-refusals h2').textContent()) === 'Refused requests' &&
        (await page.locator('#refusals thead th').first().textContent()) === 'Time' &&
        (await page.locator('#lang').textContent()) === 'På svenska', 'the switch turns the page into English');
      await waitFor('the refusals drawn in English', async () =>
        (await cellText(page, '#refusals tbody tr[data-status="413"] td.sender')) === 'varberg (tenant varberg)');
      check(true, 'what the page drew from the gateway is drawn again in English');
      check((await page.evaluate(() => window.bryggaTestMark)) === 'before the switch', 'switching the language does not reload the page');
      check((await page.evaluate(() => localStorage.getItem('brygga.console.language'))) === 'en', 'the choice is kept in localStorage');

      await page.click('nav a[data-page="messages"]');
      await page.fill('#search-form input[name="patient"]', REFUSED.pnr);
      await page.click('#search-button');
      await waitFor('the result in English', async () => (await cellText(page, '#results tbody tr td.kind')) === 'enrollment');
      check((await page.locator('#results .badge').textContent()) === 'delivered' && /1 message shown/.test(await page.locator('#search-note').textContent()),
        'the search result is in English: an enrollment, delivered');
      await page.screenshot({ path: path.join(out, 'console-english.png'), fullPage: true });

      // Remembered: a new visit opens in English.
      await page.reload();
      await waitFor('English after a reload', async () => (await page.getAttribute('html', 'lang')) === 'en' &&
        (await page.locator('nav a[data-page="dead-letters"]').textContent()) === 'Dead letters');
      check(true, 'the console opens in English after a reload');
      await page.click('nav a[data-page="overview"]');
      await waitFor('the overview in English', async () =>
        (await cellText(page, '#tenants tr[data-tenant="varberg"] td.silence')) === 'never sent' && /Updated/.test(await page.locator('#updated').textContent()));
      check((await page.locator('#tenants thead th').nth(4).textContent()) === 'Rejected', 'the overview is in English');

      // And back to Swedish, the search redrawn in place.
      await page.click('nav a[data-page="messages"]');
      await page.fill('#search-form input[name="patient"]', REFUSED.pnr);
      await page.click('#search-button');
      await waitFor('the result in English again', async () => (await cellText(page, '#results tbody tr td.kind')) === 'enrollment');
      await page.evaluate(() => { window.bryggaTestMark = 'before switching back'; });
      await page.click('#lang');
      await waitFor('Swedish', async () => (await page.getAttribute('html', 'lang')) === 'sv');
      await waitFor('the result in Swedish', async () => (await cellText(page, '#results tbody tr td.kind')) === 'inskrivning');
      check((await page.locator('nav a[data-page="overview"]').textContent()) === 'Översikt' &&
        (await page.locator('#results .badge').textContent()) === 'levererad' &&
        (await page.locator('#search-form label').first().textContent()).startsWith('Patient') &&
        (await page.locator('#search-button').textContent()) === 'Sök', 'back in Swedish, the search result redrawn');
      check((await page.evaluate(() => window.bryggaTestMark)) === 'before switching back', 'switching back does not reload the page either');
      check((await page.evaluate(() => localStorage.getItem('brygga.console.language'))) === 'sv', 'Swedish is remembered again');
    }

    check(consoleErrors.length === 0, 'no script errors or CSP violations in the page' + (consoleErrors.length ? ': ' + consoleErrors.join(' | ') : ''));
  } finally {
    if (browser) await browser.close();
    gateway.child.kill('SIGTERM');
    peer.server.close();
  }
  console.log('screenshots: ' + path.join(out, 'console-overview.png') + ', ' + path.join(out, 'console-message.png'));
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
