// Punctual's dashboard: polls state.json (controller/dashboard/snapshot.ts
// builds it) every second and redraws the page. Plain browser JavaScript, no
// build step and nothing from another host, so it works offline.
//
// Every text that comes from the controller (model and worker names, reasons)
// goes into the page as a text node or an attribute set with setAttribute,
// never as a string parsed into markup: a name is shown as the characters it
// is. The controller's Content-Security-Policy forbids
// inline scripts besides.
//
// Tokens: when state.json answers 401 or 403 the page asks for the infer (or
// admin) token and keeps it in sessionStorage (this tab only); a token in
// the address's fragment (#token=…) is taken and removed from the address.
'use strict';
(function () {
  const POLL_MS = 1000;
  const TIMEOUT_MS = 5000;
  const TOKEN_KEY = 'punctual-dashboard-token';
  const SVG = 'http://www.w3.org/2000/svg';
  const REASONS = { slo_unattainable: 'SLO unattainable', no_executor: 'no executor', model_too_large: 'too large', unknown_model: 'unknown model' };

  // ---- building the page's elements ----------------------------------------------

  /** An element with attributes and children (strings become text nodes). */
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v !== undefined && v !== null && v !== false) e.setAttribute(k, String(v));
    for (const c of children.flat()) if (c !== undefined && c !== null) e.append(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    return e;
  }

  function svg(tag, attrs, ...children) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    for (const c of children) e.append(c);
    return e;
  }

  // ---- formatting ---------------------------------------------------------------------

  function pct(x) {
    if (x === null || x === undefined) return '—';
    const v = x * 100;
    return (v >= 99.995 || v === 0 ? v.toFixed(0) : v >= 99 ? v.toFixed(2) : v.toFixed(1)) + ' %';
  }
  function ms(x) {
    if (x === null || x === undefined) return '—';
    return (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)) + ' ms';
  }
  function rate(x) {
    return (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)) + '/s';
  }
  function count(n) {
    return Number(n).toLocaleString('en-US');
  }
  function bytes(n) {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let v = Number(n);
    let i = 0;
    while (v >= 1024 && i < units.length - 1) {
      v /= 1024;
      i++;
    }
    return (i === 0 ? v.toFixed(0) : v.toFixed(1)) + ' ' + units[i];
  }
  function duration(s) {
    if (s < 60) return s.toFixed(0) + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min ' + Math.floor(s % 60) + ' s';
    return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
  }
  /** A class for an attainment: good, fair, poor (none without requests). */
  function grade(x) {
    if (x === null || x === undefined) return 'none';
    return x >= 0.99 ? 'good' : x >= 0.9 ? 'fair' : 'poor';
  }

  // ---- small pictures --------------------------------------------------------------

  /** Per-second series as lines on one scale, newest on the right. */
  function sparkline(series, width, height) {
    const n = Math.max(1, ...series.map((s) => s.values.length));
    const max = Math.max(1, ...series.flatMap((s) => s.values));
    const box = svg('svg', { class: 'spark', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img' });
    for (const s of series) {
      if (!s.values.some((v) => v > 0) && s.skipIfZero) continue;
      const points = s.values.map((v, i) => `${((i / Math.max(1, n - 1)) * (width - 2) + 1).toFixed(1)},${(height - 1 - (v / max) * (height - 2)).toFixed(1)}`).join(' ');
      box.append(svg('polyline', { points, class: s.cls, fill: 'none' }));
    }
    box.append(svg('title', {}, document.createTextNode(`max ${count(max)}/s`)));
    return box;
  }

  /** p50 and p99 as bars against the SLO's line. */
  function latencyBars(p50, p99, slo) {
    const width = 140;
    const scale = Math.max(slo, p99 || 0, p50 || 0) * 1.15 || 1;
    const x = (v) => Math.min(width, (v / scale) * width);
    const box = svg('svg', { class: 'lat', width, height: 18, viewBox: `0 0 ${width} 18`, role: 'img' });
    if (p99 !== null) box.append(svg('rect', { x: 0, y: 2, width: x(p99).toFixed(1), height: 6, class: p99 > slo ? 'bar-over' : 'bar-p99' }));
    if (p50 !== null) box.append(svg('rect', { x: 0, y: 10, width: x(p50).toFixed(1), height: 6, class: p50 > slo ? 'bar-over' : 'bar-p50' }));
    box.append(svg('line', { x1: x(slo), x2: x(slo), y1: 0, y2: 18, class: 'slo-line' }));
    box.append(svg('title', {}, document.createTextNode(`p50 ${ms(p50)}, p99 ${ms(p99)}, SLO ${ms(slo)}`)));
    return box;
  }

  function meter(used, budget, cls) {
    const m = el('div', { class: 'meter ' + (cls || '') });
    const fill = el('div', { class: 'fill' });
    fill.style.width = (budget > 0 ? Math.min(100, (used / budget) * 100) : 0).toFixed(1) + '%';
    m.append(fill);
    return m;
  }

  // ---- drawing a snapshot --------------------------------------------------------------

  function card(label, value, field, sub, cls) {
    return el('div', { class: 'card ' + (cls || '') }, el('div', { class: 'label' }, label), el('div', { class: 'value', 'data-field': field }, value), el('div', { class: 'sub' }, sub || ''));
  }

  function drawCards(s) {
    const w = s.window;
    const notAdmitted = Object.values(s.summary.notAdmitted).reduce((a, b) => a + b, 0);
    document.getElementById('cards').replaceChildren(
      card('SLO attainment', pct(w.attainment), 'attainment', `${count(w.within)} of ${count(w.requests)} within SLO`, 'grade-' + grade(w.attainment)),
      card('goodput', rate(w.goodputRps), 'goodput', 'answers within SLO'),
      card('rejected', count(w.rejected), 'rejected', `${count(w.late)} late, ${count(w.failed)} failed`),
      card('in flight', count(s.inFlight), 'in-flight', `${count(s.summary.queued)} queued`),
      card('since start', count(s.summary.requestsOk), 'total-ok', `answered; ${count(s.summary.requestsRejected)} rejected, ${count(s.summary.requestsFailed)} failed, ${count(notAdmitted)} not admitted`),
    );
  }

  function reasonsOf(byReason) {
    const parts = Object.entries(byReason || {}).filter(([, n]) => n > 0);
    if (parts.length === 0) return el('span', { class: 'muted' }, '0');
    return el(
      'span',
      {},
      parts.map(([r, n], i) => el('span', { class: 'reason', 'data-reason': r }, (i > 0 ? ', ' : '') + `${count(n)} ${REASONS[r] || r}`)),
    );
  }

  function modelRow(m) {
    const w = m.window;
    const resident = [
      ...m.loadedOn.map((id) => el('span', { class: 'chip loaded' }, id)),
      ...m.loadingOn.map((id) => el('span', { class: 'chip loading', title: 'loading' }, id + ' ↻')),
    ];
    return el(
      'tr',
      { 'data-model': m.key },
      el('td', { class: 'name' }, el('span', { 'data-field': 'name' }, m.name), el('span', { class: 'version' }, ' v' + m.version), el('div', { class: 'muted small' }, `SLO ${count(m.sloMs)} ms`)),
      el('td', { class: 'num grade-' + grade(w.attainment), 'data-field': 'attainment' }, pct(w.attainment)),
      el('td', { class: 'num', 'data-field': 'goodput' }, rate(w.goodputRps)),
      el('td', { class: 'lat-cell' }, latencyBars(w.p50Ms, w.p99Ms, m.sloMs), el('div', { class: 'small', 'data-field': 'latency' }, `${ms(w.p50Ms)} / ${ms(w.p99Ms)}`)),
      el('td', { 'data-field': 'rejected' }, reasonsOf(w.rejectedBy)),
      el('td', { class: 'num', 'data-field': 'queued' }, count(m.queued)),
      el('td', { 'data-field': 'resident' }, resident.length ? resident : el('span', { class: 'muted' }, 'nowhere (loads on demand)')),
      el(
        'td',
        { class: 'small' },
        el('span', { 'data-field': 'total-ok' }, count(m.total.ok)),
        ' ok, ',
        el('span', { 'data-field': 'total-rejected' }, count(m.total.rejected)),
        ' rejected, ',
        el('span', { 'data-field': 'total-late' }, count(m.total.late)),
        ' late, ',
        el('span', { 'data-field': 'total-failed' }, count(m.total.failed)),
        ' failed',
      ),
      el(
        'td',
        {},
        sparkline(
          [
            { values: m.series.within, cls: 'line-ok' },
            { values: m.series.late, cls: 'line-late', skipIfZero: true },
            { values: m.series.rejected, cls: 'line-rejected', skipIfZero: true },
          ],
          160,
          32,
        ),
      ),
    );
  }

  function drawModels(s) {
    document.querySelector('#models tbody').replaceChildren(...s.models.map(modelRow));
    const note = s.modelsHidden > 0 ? `${count(s.models.length)} busiest of ${count(s.summary.models)} shown` : `${count(s.summary.models)}`;
    document.getElementById('models-note').textContent = note;
  }

  function executorCard(worker, e) {
    const util = e.utilisation;
    const heldMore = e.heldCount - e.holds.length;
    return el(
      'div',
      { class: 'executor' + (e.suspended ? ' suspended' : ''), 'data-executor': e.id },
      el(
        'div',
        { class: 'ex-head' },
        el('strong', {}, e.id),
        ' ',
        el('span', { class: 'muted', 'data-field': 'worker' }, worker.name),
        worker.draining ? el('span', { class: 'flag' }, 'draining') : null,
        worker.unresponsive ? el('span', { class: 'flag bad' }, 'not answering') : null,
        e.suspended ? el('span', { class: 'flag bad' }, 'set aside') : null,
      ),
      el('div', { class: 'muted small' }, `${e.device} · ${e.executorClass} · ${e.threads} thread${e.threads === 1 ? '' : 's'}`),
      el('div', { class: 'row' }, el('span', { class: 'label' }, 'memory'), meter(e.memoryUsedBytes, e.memoryBudgetBytes), el('span', { class: 'small', 'data-field': 'memory' }, `${bytes(e.memoryUsedBytes)} / ${bytes(e.memoryBudgetBytes)}`)),
      el('div', { class: 'row' }, el('span', { class: 'label' }, 'busy'), meter(util, 1, 'util'), el('span', { class: 'small', 'data-field': 'utilisation' }, pct(util))),
      sparkline([{ values: e.utilisationSeries.map((v) => v * 100), cls: 'line-util' }], 260, 24),
      el(
        'div',
        { class: 'holds', 'data-field': 'holds' },
        e.holds.length === 0 ? el('span', { class: 'muted small' }, 'holds nothing') : e.holds.map((h) => el('span', { class: 'chip ' + h.state, title: h.state }, h.model + (h.state === 'loading' ? ' ↻' : ''))),
        heldMore > 0 ? el('span', { class: 'muted small' }, ` and ${count(heldMore)} more`) : null,
      ),
    );
  }

  function drawExecutors(s) {
    const cards = s.workers.flatMap((w) => w.executors.map((e) => executorCard(w, e)));
    document.getElementById('executors').replaceChildren(...(cards.length ? cards : [el('p', { class: 'muted' }, 'No worker is connected.')]));
  }

  function draw(s) {
    document.getElementById('cluster').textContent =
      `${s.policy} policy · up ${duration(s.uptimeS)} · ${count(s.summary.workers)} worker${s.summary.workers === 1 ? '' : 's'}, ` +
      `${count(s.summary.executors)} executor${s.summary.executors === 1 ? '' : 's'} · ${count(s.summary.models)} models, ${count(s.summary.loaded)} loaded` +
      (s.draining ? ' · draining' : '');
    document.getElementById('window-s').textContent = String(s.windowS);
    drawCards(s);
    drawModels(s);
    drawExecutors(s);
  }

  // ---- tokens and polling ------------------------------------------------------------------

  function takeTokenFromAddress() {
    const m = /(?:^#|&)token=([^&]*)/.exec(location.hash);
    if (!m) return;
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname + location.search);
  }

  let waitingForToken = false;

  function askForToken(message) {
    waitingForToken = true;
    const form = document.getElementById('token-form');
    form.hidden = false;
    document.getElementById('token-error').textContent = message || '';
    document.getElementById('token-input').focus();
  }

  function setLive(state, title) {
    const live = document.getElementById('live');
    live.dataset.state = state;
    live.title = title;
  }

  function showProblem(text) {
    const p = document.getElementById('problem');
    p.hidden = !text;
    p.textContent = text || '';
  }

  let polls = 0;

  async function poll() {
    const token = sessionStorage.getItem(TOKEN_KEY);
    const headers = token ? { Authorization: 'Bearer ' + token } : {};
    try {
      const res = await fetch('state.json', { headers, cache: 'no-store', signal: AbortSignal.timeout(TIMEOUT_MS) });
      if (res.status === 401 || res.status === 403) {
        if (token) sessionStorage.removeItem(TOKEN_KEY);
        setLive('auth', 'needs a token');
        askForToken(token ? 'That token is not accepted.' : '');
        return;
      }
      if (!res.ok) throw new Error(`state.json answered HTTP ${res.status}`);
      const s = await res.json();
      draw(s);
      polls++;
      document.body.dataset.polls = String(polls);
      showProblem('');
      setLive('ok', 'updated ' + new Date().toLocaleTimeString());
    } catch (err) {
      setLive('lost', 'no answer');
      showProblem(`No answer from the controller (${err && err.message ? err.message : err}); trying again.`);
    }
    setTimeout(poll, POLL_MS);
  }

  document.addEventListener('DOMContentLoaded', () => {
    takeTokenFromAddress();
    document.getElementById('token-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const v = document.getElementById('token-input').value.trim();
      if (!v) return;
      sessionStorage.setItem(TOKEN_KEY, v);
      document.getElementById('token-form').hidden = true;
      document.getElementById('token-input').value = '';
      if (waitingForToken) {
        waitingForToken = false;
        void poll();
      }
    });
    void poll();
  });
})();
