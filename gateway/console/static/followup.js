// The follow-up page (issue 13): a year's figures from /console/api/followup as tables and
// Chart.js charts, each table downloadable as CSV (the server masks small counts). Texts are the
// console's (i18n.js, keys followup.*), in the language chosen there; a change of language redraws
// the figures shown. Data goes into the page with textContent only. The token is the console's
// (sessionStorage), so the integration team's login serves here too.
'use strict';

const FU_TOKEN_KEY = 'brygga.console.token';
// Names, the same in every language.
const FU_SERVICE_POINTS = { kungsbacka: 'Kungsbacka', varberg: 'Varberg', halmstad: 'Halmstad', hylte: 'Hylte' };
const fuCharts = [];
let fuShown = null;  // the figures on the page, drawn again in another language

function fuColumn(c) { return t('followup.column.' + c); }
function fuSection(id) { return t('followup.section.' + id); }
function fuPoint(sp) { return FU_SERVICE_POINTS[sp] || sp; }

function fu$(id) { return document.getElementById(id); }

function fuHeaders() {
  const headers = { Accept: 'application/json' };
  const token = sessionStorage.getItem(FU_TOKEN_KEY);
  if (token) headers.Authorization = 'Bearer ' + token;
  return headers;
}

function fuError(text) {
  const e = fu$('fu-error');
  e.textContent = text;
  e.hidden = !text;
}

function fuTable(table) {
  const el = document.createElement('table');
  el.className = 'followup-table';
  el.id = 'fu-table-' + table.id;
  const head = el.createTHead().insertRow();
  for (const c of table.columns) {
    const th = document.createElement('th');
    th.textContent = fuColumn(c);
    head.appendChild(th);
  }
  const body = el.createTBody();
  for (const row of table.rows) {
    const tr = body.insertRow();
    row.forEach((v, i) => {
      const td = tr.insertCell();
      if (table.columns[i] === 'servicePoint') td.textContent = fuPoint(v);
      else if (v === null) td.textContent = '–';
      else if (table.columns[i] === 'rate') td.textContent = (v * 100).toFixed(1) + ' %';
      else td.textContent = String(v);
    });
  }
  return el;
}

function fuChart(canvas, type, labels, datasets, stacked) {
  if (typeof Chart === 'undefined') return;
  fuCharts.push(new Chart(canvas, {
    type,
    data: { labels, datasets },
    options: { animation: false, responsive: true, maintainAspectRatio: false,
      scales: { x: { stacked }, y: { stacked, beginAtZero: true } },
      plugins: { legend: { position: 'bottom', labels: { boxWidth: 10 } } } },
  }));
}

function fuCanvas(parent, label) {
  const box = document.createElement('div');
  box.className = 'chart';
  const canvas = document.createElement('canvas');
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', label);
  box.appendChild(canvas);
  parent.appendChild(box);
  return canvas;
}

function fuChartsFor(section, table) {
  const col = (name) => table.columns.indexOf(name);
  const months = [...new Set(table.rows.map((r) => r[0]))];
  const charts = document.createElement('div');
  charts.className = 'charts';
  section.appendChild(charts);
  if (table.id === 'contacts' || table.id === 'patients') {
    const points = [...new Set(table.rows.map((r) => r[1]))];
    for (const sp of points) {
      const rows = table.rows.filter((r) => r[1] === sp);
      const figure = document.createElement('figure');
      const caption = document.createElement('figcaption');
      caption.textContent = fuPoint(sp);
      figure.appendChild(caption);
      charts.appendChild(figure);
      const series = table.id === 'contacts' ? ['homeVisit', 'consultation'] : ['enrolled', 'shortTerm'];
      fuChart(fuCanvas(figure, fuSection(table.id) + ', ' + fuPoint(sp)),
        'bar', months,
        series.map((s) => ({ label: fuColumn(s), data: rows.map((r) => r[col(s)]) })),
        table.id === 'contacts');
    }
  } else if (table.id === 'requests') {
    fuChart(fuCanvas(charts, fuSection('requests')), 'bar', months,
      ['withinHours', 'outsideHours'].map((s) => ({ label: fuColumn(s), data: table.rows.map((r) => r[col(s)]) })), true);
  } else if (table.id === 'readmissions') {
    fuChart(fuCanvas(charts, fuSection('readmissions')), 'bar', months,
      ['discharges', 'readmitted'].map((s) => ({ label: fuColumn(s), data: table.rows.map((r) => r[col(s)]) })), false);
  }
}

async function fuDownload(id, year) {
  const response = await fetch('api/followup/' + id + '.csv?year=' + year + '&lang=' + language,
    { headers: fuHeaders(), credentials: 'same-origin' });
  if (!response.ok) { fuError(t('followup.loadFailed', response.status)); return; }
  const blob = await response.blob();
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = 'uppfoljning-' + id + '-' + year + '.csv';
  document.body.appendChild(a);
  a.click();
  a.remove();
}

async function fuLoad(year) {
  const response = await fetch('api/followup' + (year ? '?year=' + year : ''),
    { headers: fuHeaders(), credentials: 'same-origin' });
  if (response.status === 401) { fu$('fu-page').hidden = true; fu$('fu-login').hidden = false; return; }
  if (response.status === 403) { fuError(t('followup.notAllowed')); return; }
  if (!response.ok) { fuError(t('followup.loadFailed', response.status)); return; }
  const data = await response.json();
  fuError('');
  fu$('fu-login').hidden = true;
  fu$('fu-page').hidden = false;
  fu$('fu-year').value = data.year;
  fuShown = data;
  fuDraw(data);
}

// The figures as sections of a chart and a table each, in the current language.
function fuDraw(data) {
  while (fuCharts.length) fuCharts.pop().destroy();
  const sections = fu$('fu-sections');
  sections.replaceChildren();
  const note = document.createElement('p');
  note.textContent = t('followup.smallCounts');
  sections.appendChild(note);
  for (const table of data.tables) {
    const section = document.createElement('section');
    section.id = 'fu-section-' + table.id;
    const h2 = document.createElement('h2');
    h2.textContent = fuSection(table.id);
    section.appendChild(h2);
    const button = document.createElement('button');
    button.type = 'button';
    button.id = 'fu-download-' + table.id;
    button.textContent = t('followup.download');
    button.addEventListener('click', () => fuDownload(table.id, data.year));
    section.appendChild(button);
    fuChartsFor(section, table);
    section.appendChild(fuTable(table));
    sections.appendChild(section);
  }
}

document.addEventListener('DOMContentLoaded', () => {
  setLanguage(storedLanguage());
  document.addEventListener('brygga:language', () => { if (fuShown) fuDraw(fuShown); });
  fu$('lang').addEventListener('click', () => setLanguage(language === 'sv' ? 'en' : 'sv'));
  fu$('fu-login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(FU_TOKEN_KEY, fu$('fu-token').value);
    fu$('fu-token').value = '';
    fuLoad('');
  });
  fu$('fu-year-form').addEventListener('submit', (event) => {
    event.preventDefault();
    fuLoad(fu$('fu-year').value);
  });
  fuLoad('').catch((e) => fuError(t('followup.loadFailed', e)));
});
