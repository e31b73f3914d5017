// The ops console page: plain ES module, no build step. Data from /api/overview (the console's
// sample of the platform), charts with Chart.js (served by the console from node_modules), every
// action behind a confirmation dialog. Text goes through textContent only (no HTML from data).

const $ = (id) => document.getElementById(id);
const HEADERS = { 'x-ops-console': '1', 'content-type': 'application/json' };

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
  return e;
}

const fmt = (n) =>
  n === null || n === undefined ? '-' : typeof n === 'number' ? n.toLocaleString('en-US', { maximumFractionDigits: 2 }) : String(n);

function duration(seconds) {
  if (seconds === null || seconds === undefined) return '-';
  const s = Math.round(seconds);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(1)} days`;
}

/** Rows of [label, value, field]: `field` names the value cell for tests and people alike (data-field). */
function fillTable(table, rows, head) {
  table.replaceChildren(
    ...(head ? [el('tr', {}, ...head.map((h) => el('th', {}, h)))] : []),
    ...rows.map((r) =>
      Array.isArray(r) ? el('tr', {}, el('th', {}, r[0]), el('td', { class: 'num', 'data-field': r[2] }, fmt(r[1]))) : r,
    ),
  );
}

function confirmAction(text) {
  const dialog = $('confirm');
  $('confirm-text').textContent = text;
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'yes'), { once: true });
    dialog.returnValue = '';
    dialog.showModal();
  });
}

const state = { overview: null, campaignId: null, dlqTopic: null, charts: {}, timer: null };

async function api(path, init = {}) {
  const res = await fetch(path, { ...init, headers: { ...HEADERS, ...(init.headers ?? {}) }, credentials: 'same-origin' });
  if (res.status === 401) {
    if (!state.leaving) location.href = '/login?error=expired';
    throw new Error('signed out');
  }
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(`${res.status} ${body.error ?? ''} ${body.detail ?? body.message ?? ''}`.trim());
  return body;
}

async function start() {
  $('campaign-select').addEventListener('change', (e) => {
    state.campaignId = e.target.value;
    render();
  });
  $('pause-passes').addEventListener('click', () => passAction('pause'));
  $('resume-passes').addEventListener('click', () => passAction('resume'));
  $('set-rate').addEventListener('click', () => passAction('rate', Number($('rate-input').value)));
  $('default-rate').addEventListener('click', () => passAction('rate', null));
  // signing out: no refresh may race the redirect (it would land on "token refused")
  $('logout').form.addEventListener('submit', () => {
    state.leaving = true;
    clearTimeout(state.timer);
  });
  await refresh(false);
}

async function refresh(fresh) {
  clearTimeout(state.timer);
  if (state.leaving) return;
  try {
    state.overview = await api(`/api/overview${fresh ? '?fresh=1' : ''}`);
    render();
    if (state.dlqTopic) await showDlq(state.dlqTopic, false);
  } catch (e) {
    showProblems([`console API: ${e.message}`]);
  }
  state.timer = setTimeout(() => void refresh(false), state.overview?.sampleIntervalMs ?? 5000);
}

function showProblems(list) {
  const box = $('problems');
  box.hidden = list.length === 0;
  box.replaceChildren(el('strong', {}, 'Not current: '), ...list.map((p) => el('div', { class: 'problem' }, p)));
}

function render() {
  const o = state.overview;
  if (!o?.snapshot) return;
  const s = o.snapshot;
  $('viewer').textContent = `${o.viewer.subject} (${o.viewer.roles.join(', ')})`;
  $('viewer').dataset.canAct = String(o.viewer.canAct);
  $('sampled-at').textContent = `sampled ${new Date(s.at).toLocaleTimeString()} (${s.tookMs} ms)`;
  $('sampled-at').dataset.at = s.at;
  showProblems(s.problems);

  const select = $('campaign-select');
  const ids = s.campaigns.map((c) => c.campaignId);
  if (!state.campaignId || !ids.includes(state.campaignId)) state.campaignId = ids[0] ?? null;
  if (select.options.length !== ids.length || [...select.options].some((opt, i) => opt.value !== ids[i])) {
    select.replaceChildren(...s.campaigns.map((c) => el('option', { value: c.campaignId }, `${c.name} (${c.campaignId})`)));
  }
  select.value = state.campaignId ?? '';
  const c = s.campaigns.find((x) => x.campaignId === state.campaignId);
  renderCampaign(c, o);
  renderChannel(s, c);
  renderDlq(s, o.history.dlq, o.viewer.canAct);
  renderServices(s.services, o.history.lag);
}

function renderCampaign(c, o) {
  $('pass-actions').hidden = !(o.viewer.canAct && c?.passes);
  if (!c) {
    $('campaign-window').textContent = 'no campaign yet';
    return;
  }
  $('campaign-window').textContent = c.opensAt ? `window ${c.opensAt} to ${c.closesAt}` : '';
  const reasons = Object.entries(c.claims.byReason).sort((a, b) => b[1] - a[1]);
  fillTable($('claims-table'), [
    ['decided', c.claims.accepted + c.claims.rejected, 'claims-decided'],
    ['accepted', c.claims.accepted, 'claims-accepted'],
    ['rejected', c.claims.rejected, 'claims-rejected'],
    ...reasons.map(([r, n]) => [`  ${r || 'UNSPECIFIED'}`, n, `claims-reason-${r || 'UNSPECIFIED'}`]),
  ]);
  const g = c.grants;
  fillTable($('grants-table'), [
    ['emoticon packs', g.emoticons?.total, 'grants-emoticons'],
    ...Object.entries(g.emoticons?.byPack ?? {}).map(([k, n]) => [`  ${k}`, n, `grants-emoticon-${k}`]),
    ['  downloaded (clock started)', g.emoticons?.activated, 'grants-emoticons-activated'],
    ['Makers coupons', g.coupons?.total, 'grants-coupons'],
    ...Object.entries(g.coupons?.byAmountWon ?? {}).map(([k, n]) => [`  ${Number(k).toLocaleString()} won`, n, `grants-coupon-${k}`]),
    ['  redeemed', g.coupons?.redeemed, 'grants-coupons-redeemed'],
    ['passes reserved', g.passes?.reserved, 'grants-passes-reserved'],
    ['passes sent', g.passes?.sent, 'grants-passes-sent'],
    ['sold out', g.passes?.soldOut, 'grants-passes-sold-out'],
  ]);
  const p = c.passes;
  if (p) {
    const oldest = p.oldestUnsent;
    const age = oldest?.ageSeconds ?? null;
    const bound = oldest?.boundSeconds ?? null;
    fillTable($('passes-table'), [
      ['state', p.paused ? 'PAUSED' : 'sending', 'passes-state'],
      ['reserved', p.reserved, 'passes-reserved'],
      ['sent watermark', p.watermark, 'passes-watermark'],
      ['queued', p.queued, 'passes-queued'],
      ['current rate (/s)', p.currentRatePerSecond, 'passes-current-rate'],
      ['allowed rate (/s)', p.allowedRatePerSecond, 'passes-allowed-rate'],
      [
        'estimated drain',
        p.estimatedDrainAt
          ? `${new Date(p.estimatedDrainAt).toLocaleString()}${p.paused ? ' (once resumed)' : ''}`
          : p.queued === 0
            ? 'drained'
            : 'unknown',
        'passes-drain-at',
      ],
      ['delay notices emitted', p.noticesSent, 'passes-notices'],
      ...Object.entries(p.noticesByTrigger).map(([k, n]) => [`  by ${k}`, n, `passes-notices-${k}`]),
      ['oldest unsent claim', age === null ? 'none waiting' : `${duration(age)} of ${duration(bound)}`, 'passes-oldest-age'],
      ['stalled for', p.stalledSeconds ? duration(p.stalledSeconds) : '-', 'passes-stalled'],
      ['last send error', p.lastSendError ?? '-', 'passes-last-error'],
    ]);
    const fill = $('oldest-bar-fill');
    const share = age !== null && bound ? Math.min(1, age / bound) : 0;
    fill.style.width = `${Math.round(share * 100)}%`;
    fill.className = share >= 1 ? 'late' : share > 0.75 ? 'warn' : '';
    $('oldest-bar').title = `oldest unsent claim: ${Math.round(share * 100)}% of the delay-notice bound`;
  } else fillTable($('passes-table'), [['passes', 'not offered or pass dispatcher unreadable', 'passes-state']]);
  fillTable(
    $('relief-table'),
    c.relief
      ? [
          ['merchants', c.relief.merchants, 'relief-merchants'],
          ['owed (won)', c.relief.owedWon, 'relief-owed'],
          ['ledger total (won)', c.relief.ledger?.totalWon, 'relief-ledger'],
          ['balanced', c.relief.balanced ? 'yes' : 'NO', 'relief-balanced'],
          ['pending reviews', c.relief.tiers?.REVIEW?.pending, 'relief-pending'],
        ]
      : [['relief', 'none reported', 'relief-merchants']],
  );
  drawClaimsChart(o.history.claimsPerMinute[c.campaignId] ?? []);
  drawPassChart(o.history.passes[c.campaignId] ?? []);
}

const PALETTE = ['#2e7d32', '#c62828', '#ef6c00', '#6a1b9a', '#1565c0', '#00838f', '#ad1457', '#827717', '#4e342e', '#37474f'];

function chart(id, config) {
  if (typeof Chart === 'undefined') return null;
  let ch = state.charts[id];
  if (!ch) {
    ch = new Chart($(id), { ...config, options: { animation: false, responsive: true, maintainAspectRatio: false, ...config.options } });
    state.charts[id] = ch;
  } else {
    ch.data = config.data;
    ch.update('none');
  }
  return ch;
}

function drawClaimsChart(buckets) {
  const keys = [...new Set(buckets.flatMap((b) => Object.keys(b.counts)))].sort((a, b) =>
    a === 'ACCEPTED' ? -1 : b === 'ACCEPTED' ? 1 : a.localeCompare(b),
  );
  chart('claims-chart', {
    type: 'bar',
    data: {
      labels: buckets.map((b) => b.minute.slice(11, 16) + (b.partial ? '*' : '')),
      datasets: keys.map((k, i) => ({
        label: k,
        data: buckets.map((b) => b.counts[k] ?? 0),
        backgroundColor: PALETTE[i % PALETTE.length],
        stack: 's',
      })),
    },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } }, plugins: { legend: { position: 'bottom' } } },
  });
}

function drawPassChart(samples) {
  chart('passes-chart', {
    type: 'line',
    data: {
      labels: samples.map((s) => new Date(s.at).toLocaleTimeString()),
      datasets: [
        { label: 'reserved', data: samples.map((s) => s.reserved), borderColor: '#1565c0', pointRadius: 0 },
        { label: 'sent watermark', data: samples.map((s) => s.watermark), borderColor: '#2e7d32', pointRadius: 0 },
        { label: 'delay notices', data: samples.map((s) => s.noticesSent), borderColor: '#ef6c00', pointRadius: 0 },
      ],
    },
    options: { scales: { y: { beginAtZero: true } }, plugins: { legend: { position: 'bottom' } } },
  });
}

function renderChannel(s, c) {
  const st = s.channel.stats;
  if (!st) return fillTable($('channel-table'), [['channel', s.channel.problem ?? 'unreadable', 'channel-state']]);
  fillTable($('channel-table'), [
    ['state', st.settings?.outage ? 'OUTAGE' : 'up', 'channel-state'],
    ['limit (/s)', st.settings?.ratePerSecond, 'channel-limit'],
    ['requests', st.requests, 'channel-requests'],
    ['delivered', st.delivered, 'channel-delivered'],
    ['duplicates (idempotent repeats)', st.duplicates, 'channel-duplicates'],
    ['429 rate limited', st.rateLimited, 'channel-429'],
    ['503 outage', st.outageRejected, 'channel-503'],
    ['5xx before delivery', st.errorsBeforeDelivery, 'channel-5xx-before'],
    ['5xx after delivery', st.errorsAfterDelivery, 'channel-5xx-after'],
    ['dispatcher last send error', c?.passes?.lastSendError ?? '-', 'channel-last-error'],
  ]);
}

function renderDlq(s, history, canAct) {
  const topics = s.dlq.topics.filter((t) => t.depth > 0).sort((a, b) => b.depth - a.depth || a.topic.localeCompare(b.topic));
  const empty = s.dlq.topics.length - topics.length;
  fillTable(
    $('dlq-table'),
    [
      el('tr', {}, el('th', {}, 'total parked'), el('td', { class: 'num', 'data-field': 'dlq-total' }, fmt(s.dlq.total)), el('td')),
      ...topics.map((t) =>
        el(
          'tr',
          { 'data-topic': t.topic },
          el('th', {}, t.topic),
          el('td', { class: 'num', 'data-field': 'dlq-depth' }, fmt(t.depth)),
          el('td', {}, el('button', { type: 'button', class: 'show-dlq', onclick: () => void showDlq(t.topic, true) }, 'show')),
        ),
      ),
      el('tr', { class: 'muted' }, el('td', { colspan: 3 }, `${empty} other dead-letter topic(s) empty`)),
    ],
    ['topic', 'messages', ''],
  );
  fillTable(
    $('parked-table'),
    s.parked.counts.length
      ? s.parked.counts.map((p) => [`last resort ${p.service}: ${p.topic} (${p.reason})`, p.count, 'parked-count'])
      : [['last-resort parked (parked_message)', 0, 'parked-total']],
  );
  chart('dlq-chart', {
    type: 'line',
    data: {
      labels: history.map((h) => new Date(h.at).toLocaleTimeString()),
      datasets: [{ label: 'dead letters (all topics)', data: history.map((h) => h.total), borderColor: '#c62828', pointRadius: 0 }],
    },
    options: { scales: { y: { beginAtZero: true } } },
  });
  state.canAct = canAct;
}

async function showDlq(topic, scroll) {
  state.dlqTopic = topic;
  const r = await api(`/api/dlq/${encodeURIComponent(topic)}`);
  $('dlq-detail').hidden = false;
  $('dlq-detail-title').textContent =
    `${topic}: ${r.depth} message(s)${r.letters.length < r.depth ? `, first ${r.letters.length} shown` : ''}`;
  $('dlq-reasons').textContent = Object.entries(r.byReason)
    .map(([k, n]) => `${k}: ${n}`)
    .join(' · ');
  fillTable(
    $('dlq-letters'),
    r.letters.map((l) =>
      el(
        'tr',
        { 'data-letter': `${l.partition}:${l.offset}` },
        el('td', {}, `${l.partition}:${l.offset}`),
        el('td', { class: 'reason' }, l.reason),
        el('td', {}, `${l.source.topic}[${l.source.partition}]@${l.source.offset}`),
        el('td', {}, el('pre', {}, l.value)),
        el(
          'td',
          {},
          l.replayed
            ? el('span', { class: 'replayed good' }, `replayed by ${l.replayed.by} at ${new Date(l.replayed.at).toLocaleTimeString()}`)
            : state.canAct
              ? el('button', { type: 'button', class: 'replay', onclick: () => void replay(l) }, 'replay')
              : '',
        ),
      ),
    ),
    ['at', 'reason', 'source', 'value (phone numbers masked)', ''],
  );
  if (scroll) $('dlq-detail').scrollIntoView();
}

async function replay(l) {
  const ok = await confirmAction(
    `Replay ${l.topic} ${l.partition}:${l.offset} to ${l.source.topic}? Reason it was parked: ${l.reason}. The consumer decides it again (idempotent by eventId).`,
  );
  if (!ok) return;
  try {
    await api('/api/dlq/replay', { method: 'POST', body: JSON.stringify({ topic: l.topic, partition: l.partition, offset: l.offset }) });
    $('action-result').textContent = `replayed ${l.partition}:${l.offset}`;
  } catch (e) {
    $('action-result').textContent = `replay failed: ${e.message}`;
  }
  await showDlq(l.topic, false);
}

async function passAction(kind, perSecond) {
  const id = state.campaignId;
  if (!id) return;
  const text =
    kind === 'pause'
      ? `Pause sending passes for ${id}? Reservations go on; the queue waits until resumed.`
      : kind === 'resume'
        ? `Resume sending passes for ${id}?`
        : perSecond === null
          ? `Return ${id}'s pass send rate to the service default?`
          : `Set ${id}'s pass send rate to ${perSecond} per second?`;
  if (kind === 'rate' && perSecond !== null && !(perSecond > 0)) {
    $('action-result').textContent = 'rate must be a number above 0';
    return;
  }
  if (!(await confirmAction(text))) {
    $('action-result').textContent = 'cancelled';
    return;
  }
  try {
    const path = `/api/passes/${encodeURIComponent(id)}/${kind}`;
    const r =
      kind === 'rate' ? await api(path, { method: 'PUT', body: JSON.stringify({ perSecond }) }) : await api(path, { method: 'POST' });
    $('action-result').textContent = `${kind}: done (paused ${r.paused}, rate ${r.effectiveRatePerSecond}/s)`;
  } catch (e) {
    $('action-result').textContent = `${kind} failed: ${e.message}`;
  }
  await refresh(true);
}

function renderServices(services, history) {
  fillTable(
    $('services-table'),
    services.map((sv) =>
      el(
        'tr',
        { 'data-service': sv.name },
        el('th', {}, sv.name),
        el('td', { class: sv.ready ? 'good' : 'bad', 'data-field': 'service-ready' }, sv.ready ? 'ready' : 'NOT READY'),
        el('td', { class: 'num', 'data-field': 'service-lag' }, sv.lag === null ? '-' : fmt(sv.lag)),
        el(
          'td',
          {},
          sv.consumers
            .map(
              (c) => `${c.topics.join(', ')}: lag ${c.lag}${c.stuck ? `, ${c.stuck} stuck` : ''}${c.halted ? `, ${c.halted} halted` : ''}`,
            )
            .join('; ') || '-',
        ),
        el('td', {}, sv.outbox ? `outbox published ${fmt(sv.outbox.published)}, quarantined ${fmt(sv.outbox.quarantined)}` : '-'),
        el('td', { class: 'bad' }, sv.problem ?? ''),
      ),
    ),
    ['service', 'health', 'consumer lag', 'consumers', 'outbox', 'problem'],
  );
  const names = services.filter((s) => s.lag !== null).map((s) => s.name);
  chart('lag-chart', {
    type: 'line',
    data: {
      labels: history.map((h) => new Date(h.at).toLocaleTimeString()),
      datasets: names.map((n, i) => ({
        label: `${n} lag`,
        data: history.map((h) => h.lag[n] ?? null),
        borderColor: PALETTE[i % PALETTE.length],
        pointRadius: 0,
      })),
    },
    options: { scales: { y: { beginAtZero: true } }, plugins: { legend: { position: 'bottom' } } },
  });
}

if (document.body.classList.contains('login')) {
  const error = new URLSearchParams(location.search).get('error');
  const messages = {
    invalid: 'That token was refused (wrong signature, expired or malformed).',
    role: 'That token has neither the ops nor the reader role.',
    malformed: 'The form could not be read.',
    expired: 'Your session ended (token expired or the signing key changed): sign in again.',
  };
  if (error) {
    $('login-error').textContent = messages[error] ?? 'Sign-in failed.';
    $('login-error').hidden = false;
  }
} else {
  void start();
}
