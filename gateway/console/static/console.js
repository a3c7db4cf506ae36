// Brygga's integration console: a small single-page app over /console/api (same origin). Data is
// put into the page with textContent only, never as HTML. The token lives in sessionStorage (this
// tab only); without one the browser's client certificate, if any, identifies the user. Every
// text it shows comes from i18n.js: t('key', ...) here, data-i18n in index.html.
'use strict';

const TOKEN_KEY = 'brygga.console.token';
const STATUSES = ['rejected', 'accepted', 'declined', 'queued', 'retrying', 'delivered', 'dead', 'held'];

let timer = null;
let searchCursor = null;
let deadCursor = null;
let lastSearch = '';

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function td(value, cls) {
  return el('td', cls ? { class: cls } : {}, value === null || value === undefined ? '' : value);
}

function badge(status) {
  const known = STATUSES.includes(status);
  return el('span', { class: 'badge ' + status, 'data-status': status, title: known ? t('statusText.' + status) : '' },
    known ? t('status.' + status) : status);
}

// A message kind (enrollment, visit note ...) in the page's language; an unknown one as it is.
function kindText(kind) {
  return kind && STRINGS.sv['kind.' + kind] ? t('kind.' + kind) : kind;
}

// Every time the console shows is Swedish time (Europe/Stockholm), whatever the browser's zone,
// with ISO dates; the header says so.
const ZONE = 'Europe/Stockholm';
const WALL = new Intl.DateTimeFormat('sv-SE', {
  timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
});

function wallParts(ms) {
  const p = {};
  for (const x of WALL.formatToParts(new Date(ms))) p[x.type] = x.value;
  return p;
}

function when(instant) {
  if (!instant) return '';
  const d = new Date(instant);
  if (isNaN(d)) return instant;
  const p = wallParts(d.getTime());
  return p.year + '-' + p.month + '-' + p.day + ' ' + p.hour + ':' + p.minute + ':' + p.second;
}

// "YYYY-MM-DD[ HH:MM]" in Swedish time -> the UTC instant; null when it is not such a text. In the
// autumn's repeated hour the first of the two is meant.
function stockholmToIso(text) {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2}))?$/.exec(text);
  if (!m) return null;
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] || 0), +(m[5] || 0));
  let guess = wall;
  for (let i = 0; i < 2; i++) {
    const p = wallParts(guess);
    const shown = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second);
    guess -= shown - wall;
  }
  return new Date(guess).toISOString();
}

function age(ms) {
  if (ms === null || ms === undefined || ms <= 0) return '';
  const s = Math.round(ms / 1000);
  if (s < 120) return s + ' s';
  if (s < 7200) return Math.round(s / 60) + ' min';
  return Math.round(s / 3600) + ' h';
}

// How long a municipality has sent nothing: "never sent" when it never has; minutes below two
// hours, then hours (under "Silent for": "5 h").
function silence(ms) {
  if (ms === null || ms === undefined) return t('time.neverSent');
  const m = Math.floor(ms / 60000);
  if (m < 1) return t('time.underMinute');
  if (m < 120) return m + ' min';
  return Math.floor(m / 60) + ' h';
}

function showError(text) {
  const box = $('error');
  box.textContent = text || '';
  box.hidden = !text;
}

// Calls the console API; throws an Error carrying the OperationOutcome's text and the status.
async function api(path, options) {
  // The gateway refuses a state-changing call without this header (or its own Origin): a page of
  // another site cannot send it without a CORS preflight, which the gateway never grants.
  const headers = { 'X-Brygga-Console': '1' };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = 'Bearer ' + token;
  const response = await fetch('api/' + path, Object.assign({ headers, credentials: 'same-origin' }, options || {}));
  let body = null;
  try { body = await response.json(); } catch (e) { body = null; }
  if (!response.ok) {
    let text = t('app.gatewayAnswered', response.status);
    if (body && Array.isArray(body.issue) && body.issue.length) {
      text = body.issue.map((i) => i.diagnostics || i.code).join('; ');
    }
    const error = new Error(text);
    error.status = response.status;
    throw error;
  }
  return body;
}

function confirmDialog(title, text, okLabel) {
  return new Promise((resolve) => {
    const dialog = $('confirm');
    $('confirm-title').textContent = title;
    $('confirm-text').textContent = text;
    $('confirm-ok').textContent = okLabel;
    dialog.returnValue = '';
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
    dialog.showModal();
  });
}

// ---- pages --------------------------------------------------------------------------------

function showPage(name) {
  for (const section of document.querySelectorAll('.page')) section.hidden = section.id !== 'page-' + name;
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', a.dataset.page === name);
}

function stopPolling() {
  if (timer) clearInterval(timer);
  timer = null;
  stopLive();
}

function poll(fn, ms) {
  stopPolling();
  fn();
  timer = setInterval(fn, ms);
}

// Destination health on every page: a banner naming each destination that is not ok (paused,
// failing since when with the last error, or holding dead letters), refreshed every 5 s.
const HEALTH_STATES = ['ok', 'paused', 'failing', 'dead-letters'];
const health = {};
let healthTimer = null;

function healthBadge(h) {
  return el('span', { class: 'badge health-' + h.state, 'data-state': h.state },
    HEALTH_STATES.includes(h.state) ? t('health.' + h.state) : h.state);
}

// What is wrong with destination `x` (of api/destinations), from its figures: who paused it,
// how its deliveries fail, how many dead letters it holds.
function healthDetail(x) {
  const h = x.health;
  if (h.state === 'paused') return x.pausedChangedBy ? t('health.pausedBy', x.pausedChangedBy) : '';
  if (h.state === 'failing') {
    if (h.failures) return t('health.failures', h.failures, h.lastStatus);
    if (h.tokenError) return t('health.token', h.tokenError);
    return h.detail || '';
  }
  if (h.state === 'dead-letters') return t('health.dead', x.dead);
  return '';
}

// " since 2026-12-05 14:03:11: 3 failed attempts ..." after a destination's badge.
function healthTail(x) {
  const detail = healthDetail(x);
  return (x.health.since ? ' ' + t('health.since', when(x.health.since)) : '') + (detail ? ': ' + detail : '');
}

async function loadHealth() {
  try {
    const d = await api('destinations');
    const problems = [];
    for (const x of d.destinations) {
      if (!x.health) continue;
      health[x.name] = x.health;
      // The overview's state column says the same as the banner at once.
      const cell = document.querySelector('#destinations-flow tr[data-destination="' + CSS.escape(x.name) + '"] td:nth-child(2)');
      if (cell) cell.replaceChildren(healthBadge(x.health));
      if (x.health.state === 'ok') continue;
      problems.push(el('li', { 'data-destination': x.name, 'data-state': x.health.state },
        el('strong', { text: x.name }), ' ', healthBadge(x.health), healthTail(x)));
    }
    $('health-list').replaceChildren(...problems);
    $('health').hidden = problems.length === 0;
  } catch (e) {
    // The page's own loader reports a failing gateway; the banner keeps its last state.
  }
}

function startHealth() {
  if (healthTimer) return;
  loadHealth();
  healthTimer = setInterval(loadHealth, 5000);
}

function stopHealth() {
  if (healthTimer) clearInterval(healthTimer);
  healthTimer = null;
  $('health').hidden = true;
}

// The overview live: the summary as Server-Sent Events from api/events, read with fetch (an
// EventSource cannot send the token). Should the stream be refused (the gateway's live consoles
// are bounded) or end, the page polls every 2 s instead.
let live = null;

function stopLive() {
  if (live) live.abort();
  live = null;
}

async function streamSummary() {
  stopPolling();
  const controller = new AbortController();
  live = controller;
  try {
    const headers = { 'X-Brygga-Console': '1' };
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers.Authorization = 'Bearer ' + token;
    const response = await fetch('api/events?window=' + $('window').value,
      { headers, credentials: 'same-origin', signal: controller.signal });
    if (!response.ok || !response.body) throw new Error(t('app.gatewayAnswered', response.status));
    $('live').textContent = t('overview.live');
    $('live').dataset.mode = 'live';
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const lines = buffer.slice(0, end).split('\n');
        buffer = buffer.slice(end + 2);
        const kind = (lines.find((l) => l.startsWith('event:')) || 'event: message').slice(6).trim();
        const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('\n');
        if (kind === 'summary' && data) showSummary(JSON.parse(data));
        if (kind === 'failure' && data) showError(t('overview.countsFailed', JSON.parse(data)));
      }
    }
  } catch (e) {
    if (controller.signal.aborted) return;
  }
  if (live !== controller) return;
  live = null;
  $('live').textContent = t('overview.polling');
  $('live').dataset.mode = 'polling';
  timer = setInterval(loadSummary, 2000);
  loadSummary();
}

async function route() {
  stopPolling();
  showError('');
  const hash = location.hash || '#/overview';
  const parts = hash.slice(2).split('/');
  try {
    const session = await api('session');
    $('who-name').textContent = t('app.signedInAs', session.client);
    $('who-signed-in').hidden = false;
    $('nav').hidden = false;
    startHealth();
  } catch (e) {
    stopHealth();
    $('nav').hidden = true;
    $('who-signed-in').hidden = true;
    showPage('login');
    if (e.status === 403) showError(t('login.forbidden', e.message));
    else if (e.status === 401 && sessionStorage.getItem(TOKEN_KEY)) showError(t('login.wrongToken'));
    else if (sessionStorage.getItem(TOKEN_KEY)) showError(t('login.failed', e.message));
    return;
  }
  switch (parts[0]) {
    case 'messages': showPage('messages'); break;
    case 'message': showPage('message'); await loadMessage(parts[1]); break;
    case 'dead-letters': showPage('dead-letters'); await loadDead(false); break;
    case 'destinations': showPage('destinations'); poll(loadDestinations, 5000); break;
    case 'audit': showPage('audit'); poll(loadAudit, 5000); break;
    case 'refusals': showPage('refusals'); poll(loadRefusals, 5000); break;
    default: showPage('overview'); streamSummary(); break;
  }
}

// Overview: counts per tenant and destination, refreshed every 2 s.
const lastCells = {};
function countCell(key, value) {
  const cell = td(value, 'num');
  if (lastCells[key] !== undefined && lastCells[key] !== value) cell.classList.add('changed');
  lastCells[key] = value;
  return cell;
}

async function loadSummary() {
  try {
    showSummary(await api('summary?window=' + $('window').value));
  } catch (e) {
    showError(t('overview.countsFailed', e.message));
  }
}

function showSummary(s) {
  const tenants = $('tenants').tBodies[0];
  tenants.replaceChildren();
  for (const tenant of s.tenants) {
    const k = 't.' + tenant.name + '.';
    tenants.append(el('tr', { 'data-tenant': tenant.name, 'data-silent': tenant.silentMs === null ? 'never' : String(tenant.silentMs) },
      el('td', { title: tenant.displayName || '' }, tenant.name),
      countCell(k + 'received', tenant.received), countCell(k + 'accepted', tenant.accepted),
      countCell(k + 'declined', tenant.declined),
      countCell(k + 'rejected', tenant.rejected), countCell(k + 'delivered', tenant.delivered),
      countCell(k + 'retried', tenant.retried), countCell(k + 'dead', tenant.deadLettered),
      td(when(tenant.lastReceived)), td(silence(tenant.silentMs), 'silence')));
  }
  if (!s.tenants.length) tenants.append(el('tr', {}, el('td', { colspan: 10, text: t('overview.noMessages') })));
  const dests = $('destinations-flow').tBodies[0];
  dests.replaceChildren();
  for (const d of s.destinations) {
    const k = 'd.' + d.name + '.';
    dests.append(el('tr', { 'data-destination': d.name }, td(d.name),
      el('td', {}, health[d.name] ? healthBadge(health[d.name])
        : el('span', { class: 'badge ' + (d.paused ? 'paused' : 'active') }, t(d.paused ? 'destination.paused' : 'destination.active'))),
      countCell(k + 'pending', d.pending), td(age(d.oldestPendingAgeMs), 'num'),
      countCell(k + 'delivered', d.delivered), countCell(k + 'retried', d.retried),
      countCell(k + 'dead', d.deadLettered), countCell(k + 'deadNow', d.deadLetters)));
  }
  // Every gateway on the store (several share one PostgreSQL database); this one is marked.
  const gateways = $('gateways').tBodies[0];
  gateways.replaceChildren();
  for (const g of s.gateways || []) {
    gateways.append(el('tr', { 'data-gateway': g.id, 'data-alive': String(g.alive) },
      el('td', {}, g.id, g.self ? el('span', { class: 'muted', text: t('overview.thisOne') }) : ''),
      el('td', {}, el('span', { class: 'badge ' + (g.alive ? 'active' : 'dead') }, t(g.alive ? 'gateway.alive' : 'gateway.silent'))),
      td(g.version), td(when(g.startedAt)), td(when(g.lastSeenAt))));
  }
  $('gateways-alive').textContent = (s.gateways || []).length
    ? t('overview.alive', s.gatewaysAlive, s.gateways.length) : '';
  drawCharts(s.series);
  $('updated').textContent = t('overview.updated', when(s.at).slice(11));
  showError('');
}

// The overview's charts (Chart.js, served by the gateway itself from Debian's libjs-chart.js),
// redrawn from the summary's series in place. Each canvas says what it shows in data-* for the
// browser test: the number of points and the sum of what is drawn.
const COLORS = ['#1f5f99', '#b3261e', '#2e7d32', '#8e24aa', '#ef6c00', '#00838f', '#6d4c41', '#455a64'];
const charts = {};

function drawChart(id, labels, datasets, yTitle) {
  const canvas = $(id);
  if (!canvas || typeof Chart === 'undefined') return;
  const sets = datasets.map((d, i) => ({ label: d.label, data: d.data, borderColor: COLORS[i % COLORS.length],
    backgroundColor: COLORS[i % COLORS.length], spanGaps: true, pointRadius: 2, borderWidth: 2, tension: 0.2 }));
  if (!charts[id]) {
    charts[id] = new Chart(canvas, {
      type: 'line',
      data: { labels, datasets: sets },
      options: { animation: false, responsive: true, maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, title: { display: true, text: yTitle } } },
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 10 } } } },
    });
  } else {
    charts[id].data.labels = labels;
    charts[id].data.datasets = sets;
    charts[id].options.scales.y.title.text = yTitle;
    charts[id].update('none');
  }
  let sum = 0;
  for (const d of datasets) for (const v of d.data) sum += v || 0;
  canvas.dataset.points = String(labels.length);
  canvas.dataset.sum = String(Math.round(sum * 1000) / 1000);
  canvas.dataset.series = datasets.map((d) => d.label).join(',');
}

function drawCharts(series) {
  if (!series) return;
  const labels = series.times.map((time) => when(time).slice(11, 16));
  drawChart('chart-received', labels,
    Object.entries(series.receivedPerMinute).map(([tenant, data]) => ({ label: tenant, data })), t('chart.perMinute'));
  drawChart('chart-latency', labels,
    [{ label: 'p50', data: series.deliveryMsP50 }, { label: 'p95', data: series.deliveryMsP95 }].map((d) =>
      ({ label: d.label, data: d.data.map((v) => (v === null ? null : v / 1000)) })), t('chart.seconds'));
  drawChart('chart-depth', labels,
    Object.entries(series.queueDepth).map(([destination, data]) => ({ label: destination, data })), t('chart.waiting'));
}

function fillLegend() {
  $('legend').replaceChildren(...STATUSES.flatMap((status) =>
    [el('dt', {}, badge(status)), el('dd', { text: t('statusText.' + status) })]));
}

// Message search.
function searchQuery() {
  const form = $('search-form');
  const params = new URLSearchParams();
  for (const name of ['patient', 'status', 'kind', 'tenant', 'type', 'requestId']) {
    const v = form.elements[name].value.trim();
    if (v) params.set(name, v);
  }
  for (const name of ['from', 'to']) {
    const v = form.elements[name].value.trim();
    if (!v) continue;
    const instant = stockholmToIso(v);
    if (!instant) throw new Error(t('search.badTime', t('search.' + name)));
    params.set(name, instant);
  }
  return params;
}

// Why a message is where it is: a rejected request's status and refusal, or the start of the
// receiver's answer to a dead or held entry.
function reasonOf(m) {
  if (m.status === 'rejected') return 'HTTP ' + m.httpStatus + (m.reason ? ': ' + m.reason : '');
  const e = (m.entries || []).find((x) => x.reason);
  return e ? e.reason : '';
}

// What a message is (enrollment, visit note, ...) as the flows named it at intake; the resource
// types for a message they did not name (a plain FHIR write, or one recorded before kinds).
function contentOf(m) {
  return m.kind ? kindText(m.kind) : m.resourceTypes;
}

// One number per message: its own. A forwarded copy is that number and its receiver.
function deliveryName(seq, destination) {
  return seq + ' \u2192 ' + destination;
}

function destinationsOf(m) {
  return (m.destinations || []).join(', ');
}

async function search(more) {
  showError('');
  let params;
  try {
    params = more ? new URLSearchParams(lastSearch) : searchQuery();
  } catch (e) {
    showError(e.message);
    return;
  }
  if (!more) lastSearch = params.toString();
  if (more && searchCursor) params.set('cursor', searchCursor);
  const body = $('results').tBodies[0];
  if (!more) body.replaceChildren();
  try {
    const page = await api('messages?' + params.toString());
    for (const m of page.messages) {
      body.append(el('tr', { class: 'link', 'data-seq': m.seq, 'data-kind': m.kind || '', onclick: () => { location.hash = '#/message/' + m.seq; } },
        td(m.seq, 'num'), td(when(m.received)), td(m.tenant), td(contentOf(m), 'kind'), td(m.patient),
        el('td', {}, badge(m.status)), td(destinationsOf(m)), td(reasonOf(m), 'reason'), td(m.requestId)));
    }
    searchCursor = page.next;
    $('more').hidden = !page.next;
    const count = body.rows.length;
    const note = page.noteCode === 'no-patient' ? t('search.noPatient')
      : page.noteCode === 'several-patients' ? t('search.severalPatients', page.patient) : '';
    $('search-note').textContent = (note ? note + ' ' : '') +
      (count ? t('search.shown', count) : t('search.none')) + (page.next ? t('search.moreExist') : '');
  } catch (e) {
    showError(t('search.failed', e.message));
  }
}

// Message detail.
async function loadMessage(seq) {
  $('m-seq').textContent = seq;
  $('m-payload').hidden = true;
  $('m-payload').textContent = '';
  $('show-payload').dataset.seq = seq;
  try {
    const m = await api('messages/' + encodeURIComponent(seq));
    $('m-status').replaceChildren(badge(m.status), ' ', STATUSES.includes(m.status) ? t('statusText.' + m.status) : m.statusText);
    const facts = [
      ['received', when(m.received)], ['answered', when(m.answered)],
      ['sender', t('fact.senderValue', m.client, m.tenant)], ['interaction', m.interaction],
      ['kind', m.kind ? kindText(m.kind) : t('fact.notHomeCare')], ['resourceTypes', m.resourceTypes],
      ['patient', m.patient || t('fact.none')],
      ['httpStatus', m.httpStatus], ['outcome', m.outcome],
      ['mappingVersion', m.mappingVersion || t('fact.none')], ['requestId', m.requestId],
      ['sha256', m.payloadSha256],
    ];
    $('m-facts').replaceChildren(...facts.map(([k, v]) => el('tr', { 'data-fact': k }, el('th', { text: t('fact.' + k) }), td(v))));
    const outbox = $('m-outbox').tBodies[0];
    outbox.replaceChildren();
    for (const e of m.outbox) {
      const action = el('td');
      if (e.state === 'dead') {
        action.append(el('button', { type: 'button', class: 'danger replay', onclick: () => replay(e.id, m.seq, e.destination) }, t('replay.button')));
      }
      outbox.append(el('tr', { 'data-outbox': e.id }, td(deliveryName(m.seq, e.destination)), td(e.destination), el('td', {}, badge(e.state === 'pending' ? (e.attempts ? 'retrying' : 'queued') : e.state)),
        td(e.attempts, 'num'), td(when(e.finished || e.nextAttempt)), el('td', {}, e.lastError ? el('pre', { text: e.lastError }) : ''), action));
    }
    if (!m.outbox.length) outbox.append(el('tr', {}, el('td', { colspan: 7, text: t('message.nothingKept') })));
    const steps = $('m-steps').tBodies[0];
    steps.replaceChildren(...m.steps.map((s) => el('tr', {}, td(when(s.started)),
      td(t(s.direction === 'inbound' ? 'step.inbound' : 'step.outbound')), td(s.destination),
      td(s.httpStatus || t('step.noAnswer')), td(s.detail))));
    $('m-audit').replaceChildren(...m.audit.map((a) => {
      const ev = a.event || {};
      const sub = (ev.subtype && ev.subtype[0] && ev.subtype[0].code) || '';
      const outcome = [0, 4, 8, 12].includes(ev.outcome) ? t('auditRecord.outcome.' + ev.outcome) : ev.outcome;
      const action = 'CRUDE'.includes(ev.action) && ev.action ? t('auditRecord.action.' + ev.action) : ev.action;
      return el('li', {}, t('auditRecord.line', a.seq, when(a.recorded), sub, action, outcome),
        el('details', {}, el('summary', {}, 'AuditEvent'), el('pre', { text: JSON.stringify(ev, null, 2) })));
    }));
  } catch (e) {
    showError(t('message.loadFailed', seq, e.message));
  }
}

async function showPayload() {
  const seq = $('show-payload').dataset.seq;
  const ok = await confirmDialog(t('payload.confirmTitle'), t('message.contentHint'), t('payload.confirmOk'));
  if (!ok) return;
  try {
    const p = await api('messages/' + encodeURIComponent(seq) + '/payload');
    const pre = $('m-payload');
    pre.textContent = p.payloads.length ? JSON.stringify(p.payloads, null, 2) : t('payload.nothingKept');
    pre.hidden = false;
  } catch (e) {
    showError(t('payload.failed', e.message));
  }
}

// `id`: the outbox entry the API replays; the user sees the message's number and receiver.
async function replay(id, seq, destination, force) {
  const ok = await confirmDialog(force ? t('replay.forceTitle') : t('replay.title', deliveryName(seq, destination)),
    force ? t('replay.forceText', destination) : t('replay.text', destination),
    force ? t('replay.forceOk') : t('replay.ok'));
  if (!ok) return;
  try {
    await api('dead-letters/' + id + '/replay' + (force ? '?force=true' : ''), { method: 'POST' });
    showError('');
    await route();
    $('search-note').textContent = '';
    flash(t('replay.done', seq, destination));
  } catch (e) {
    if (e.status === 409 && !force && /newer/i.test(e.message)) {
      await replay(id, seq, destination, true);
      return;
    }
    showError(t('replay.refused', e.message));
  }
}

function flash(text) {
  const note = el('p', { class: 'status-box', role: 'status', id: 'flash' }, text);
  const old = $('flash');
  if (old) old.remove();
  document.querySelector('main').prepend(note);
  setTimeout(() => note.remove(), 8000);
}

// Dead letters: the message search with status dead.
async function loadDead(more) {
  const body = $('dead').tBodies[0];
  if (!more) { body.replaceChildren(); deadCursor = null; }
  try {
    const page = await api('messages?status=dead&limit=50' + (more && deadCursor ? '&cursor=' + encodeURIComponent(deadCursor) : ''));
    for (const m of page.messages) {
      for (const e of m.entries.filter((x) => x.state === 'dead')) {
        body.append(el('tr', { 'data-outbox': e.id, 'data-seq': m.seq, 'data-kind': m.kind || '' },
          el('td', {}, el('a', { href: '#/message/' + m.seq, text: deliveryName(m.seq, e.destination) })),
          td(when(m.received)), td(m.tenant), td(contentOf(m), 'kind'),
          td(m.patient), td(e.destination), td(e.attempts, 'num'), td(when(e.finished)), td(e.reason, 'reason'),
          el('td', {}, el('button', { type: 'button', class: 'danger replay', onclick: () => replay(e.id, m.seq, e.destination) }, t('replay.button')))));
      }
    }
    deadCursor = page.next;
    $('dead-more').hidden = !page.next;
    if (!body.rows.length) body.append(el('tr', {}, el('td', { colspan: 10, text: t('dead.none') })));
  } catch (e) {
    showError(t('dead.failed', e.message));
  }
}

async function loadDestinations() {
  try {
    const d = await api('destinations');
    const body = $('destinations').tBodies[0];
    body.replaceChildren(...d.destinations.map((x) => el('tr', { 'data-destination': x.name }, td(x.name),
      el('td', {}, x.health ? healthBadge(x.health) : el('span', { class: 'badge ' + (x.paused ? 'paused' : 'active') }, t(x.paused ? 'destination.paused' : 'destination.active')),
        x.health ? healthTail(x) : ''),
      td(x.pending, 'num'), td(x.maxQueueDepth, 'num'), td(age(x.oldestPendingAgeMs), 'num'), td(x.dead, 'num'),
      el('td', {}, el('button', { type: 'button', class: x.paused ? 'primary' : 'danger', onclick: () => setPaused(x.name, !x.paused) },
        t(x.paused ? 'destinations.resume' : 'destinations.pause'))))));
  } catch (e) {
    showError(t('destinations.failed', e.message));
  }
}

async function setPaused(name, pause) {
  const ok = await confirmDialog(t(pause ? 'destinations.pauseTitle' : 'destinations.resumeTitle', name),
    t(pause ? 'destinations.pauseText' : 'destinations.resumeText', name),
    t(pause ? 'destinations.pause' : 'destinations.resume'));
  if (!ok) return;
  try {
    await api('destinations/' + encodeURIComponent(name) + '/' + (pause ? 'pause' : 'resume'), { method: 'POST' });
    await loadDestinations();
  } catch (e) {
    showError(t('destinations.changeFailed', name, e.message));
  }
}

// Requests refused before an endpoint saw them, newest first (this gateway's memory only).
async function loadRefusals() {
  try {
    const r = await api('refusals');
    $('refusals-kept').textContent = r.kept;
    $('refusals-total').textContent = t('refusals.total', r.total);
    const body = $('refusals').tBodies[0];
    body.replaceChildren(...r.refusals.map((x) => el('tr', { 'data-status': x.status },
      td(when(x.at)), td(x.status, 'num'), td(x.method + ' ' + x.route),
      td(x.client ? (x.tenant ? t('fact.senderValue', x.client, x.tenant) : x.client) : t('refusals.notIdentified'), 'sender'),
      td(x.source), td(x.reason, 'reason'))));
    if (!r.refusals.length) body.append(el('tr', {}, el('td', { colspan: 6, text: t('refusals.none') })));
  } catch (e) {
    showError(t('refusals.failed', e.message));
  }
}

async function loadAudit() {
  try {
    const a = await api('audit');
    const c = a.checkpoint;
    const rows = [
      ['audit.records', a.records],
      ['audit.checkpoint', c ? t('audit.checkpointValue', c.treeSize, when(c.created)) : t('audit.noCheckpoint')],
      ['audit.age', c ? age(c.ageMs) || '0 s' : ''],
      ['audit.notCheckpointed', a.notCheckpointed],
      ['audit.rootHash', c ? c.rootHash : ''],
    ];
    $('audit-facts').replaceChildren(...rows.map(([k, v]) => el('tr', {}, el('th', { text: t(k) }), td(v))));
  } catch (e) {
    showError(t('audit.failed', e.message));
  }
}

// ---- start --------------------------------------------------------------------------------

// Another language: the keyed texts are set by i18n.js; what the scripts drew is drawn again
// from the gateway's data (the current page, the banner), the last search run again.
function redraw() {
  fillLegend();
  const notice = $('flash');  // a passing notice in the other language: gone
  if (notice) notice.remove();
  if ($('page-login').hidden) {
    loadHealth();
    if (!$('page-messages').hidden && $('results').tBodies[0].rows.length) {
      search(false);
      return;
    }
  }
  route();
}

document.addEventListener('DOMContentLoaded', () => {
  setLanguage(storedLanguage());
  fillLegend();
  document.addEventListener('brygga:language', redraw);
  $('lang').addEventListener('click', () => setLanguage(language === 'sv' ? 'en' : 'sv'));
  $('login-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $('token').value.trim());
    $('token').value = '';
    if (location.hash === '#/overview') route(); else location.hash = '#/overview';
  });
  $('logout').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    location.hash = '#/login';
    route();
  });
  $('search-form').addEventListener('submit', (ev) => { ev.preventDefault(); search(false); });
  $('more').addEventListener('click', () => search(true));
  $('dead-more').addEventListener('click', () => loadDead(true));
  $('show-payload').addEventListener('click', showPayload);
  $('window').addEventListener('change', streamSummary);
  window.addEventListener('hashchange', route);
  route();
});
