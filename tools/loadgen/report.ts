// What a load run prints: a summary table, the JSON object (without the time series), and a
// self-contained HTML report with chart.js inlined (send rate, decision rate, latency over time).
import fs from 'node:fs';
import path from 'node:path';
import { cliTable } from '@platform/tools-ops';
import type { LoadResult } from './run';

const fmt = (n: number): string =>
  Number.isInteger(n) ? n.toLocaleString('en-US') : n.toLocaleString('en-US', { maximumFractionDigits: 1 });
const kv = (r: Record<string, number>): string =>
  Object.entries(r)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${fmt(n)}`)
    .join(', ') || '-';

/** How a latency stage reads in tables. */
export const stageLabel = (stage: string): string => (stage === 'publish' ? 'send -> broker ack (loader)' : `request -> ${stage}`);

export function summaryTable(r: LoadResult): string {
  const style = { head: [], border: [] };
  const out: string[] = [];
  const main = cliTable({ style, colWidths: [26, 90], wordWrap: true });
  main.push(
    ['run', `${r.runId} (seed ${r.seed}), campaign ${r.campaign.campaignId}${r.campaign.created ? ' (created)' : ''}`],
    ['sent', `${fmt(r.sent.claims)} claim messages: ${kv(r.sent.byKind)}`],
    [
      'follow-ups sent',
      `reports ${r.sent.merchantReports}, downloads ${r.sent.downloads}, redemptions ${r.sent.redemptions}, registrations ${r.sent.registrations}, reviews ${r.sent.reviews}`,
    ],
    [
      'decided',
      `${fmt(r.decided.total)}: ACCEPTED ${fmt(r.decided.byStatus.ACCEPTED)}, REJECTED ${fmt(r.decided.byStatus.REJECTED)} (${kv(r.decided.byReason)}); twice ${r.decided.twice}`,
    ],
    ['grants', `entitlements ${fmt(r.grants.entitlements)}, coupons ${fmt(r.grants.coupons)}`],
    [
      'passes',
      `reserved ${fmt(r.passes.reserved)}, sold out ${fmt(r.passes.soldOut)}, sent ${fmt(r.passes.sent)}, delay notices ${fmt(r.passes.delayNotices)}`,
    ],
    ['dead letters', `${fmt(r.dlq.total)}: ${kv(r.dlq.byTopic)} (${kv(r.dlq.byReason)})`],
    [
      'follow-up answers',
      `activations ${r.followUps.activations}; redemptions ${kv(r.followUps.redemptions)}; registrations ${kv(r.followUps.registrations)}; relief ${kv(r.followUps.relief)}; reviews ${kv(r.followUps.reviews)}`,
    ],
    [
      'throughput',
      `sent ${fmt(r.throughput.sendPerSecond)}/s over ${fmt(r.throughput.sendSeconds)} s; decided ${fmt(r.throughput.decidedPerSecond)}/s over ${fmt(r.throughput.decisionSeconds)} s; run ${fmt(r.throughput.totalSeconds)} s`,
    ],
    [
      'lag at end',
      `observer ${r.lag.observer}; ${
        Object.entries(r.lag.groups)
          .map(([g, t]) => `${g}: ${kv(t) === '-' ? '0' : kv(t)}`)
          .join('; ') || 'no platform groups found'
      }`,
    ],
  );
  out.push(main.toString());
  const lat = cliTable({ head: ['latency (ms)', 'count', 'p50', 'p95', 'p99', 'max'], style });
  for (const [stage, s] of Object.entries(r.latencyMs))
    if (s) lat.push([stageLabel(stage), fmt(s.count), fmt(s.p50), fmt(s.p95), fmt(s.p99), fmt(s.max)]);
  out.push(lat.toString());
  const cmp = cliTable({ head: ['expected vs observed', 'expected', 'observed', ''], style });
  for (const c of r.comparison) cmp.push([c.what, fmt(c.expected), fmt(c.observed), c.ok ? 'ok' : 'MISMATCH']);
  out.push(cmp.toString());
  for (const n of r.notes) out.push(`note: ${n}`);
  out.push(
    r.ok
      ? 'RESULT: every expected answer observed'
      : `RESULT: ${r.comparison.filter((c) => !c.ok).length} mismatch(es)${r.drained ? '' : ' (not drained)'}`,
  );
  return out.join('\n');
}

/** The JSON summary: everything but the per-second series (that goes into the HTML report). */
export function jsonSummary(r: LoadResult): Omit<LoadResult, 'series'> {
  const { series: _series, ...rest } = r;
  return rest;
}

function chartJs(): string {
  // The package's exports map hides dist/chart.umd.js; find it next to the CommonJS entry.
  const file = path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.js');
  return fs.readFileSync(file, 'utf8');
}

const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c);

/** A single HTML file, no network needed: chart.js is inlined. */
export function htmlReport(r: LoadResult): string {
  const pts = r.series;
  const data = {
    t: pts.map((p) => p.t),
    sent: pts.map((p) => p.counts.sent ?? 0),
    decided: pts.map((p) => p.counts.decided ?? 0),
    p50: pts.map((p) => p.latency.decision?.p50 ?? null),
    p95: pts.map((p) => p.latency.decision?.p95 ?? null),
    p99: pts.map((p) => p.latency.decision?.p99 ?? null),
  };
  const rows = r.comparison
    .map((c) => `<tr class="${c.ok ? 'ok' : 'bad'}"><td>${esc(c.what)}</td><td>${c.expected}</td><td>${c.observed}</td></tr>`)
    .join('');
  const lat = Object.entries(r.latencyMs)
    .map(([k, s]) =>
      s
        ? `<tr><td>${esc(stageLabel(k))}</td><td>${s.count}</td><td>${s.p50}</td><td>${s.p95}</td><td>${s.p99}</td><td>${s.max}</td></tr>`
        : '',
    )
    .join('');
  // JSON inside <script>: escape "<" so no string can close the script element.
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Load run ${esc(r.runId)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:2rem;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:right}
td:first-child,th:first-child{text-align:left}tr.bad td{background:#fdd}tr.ok td:last-child{color:#070}
.chart{height:300px;margin:1.5rem 0}pre{background:#f6f6f6;padding:1rem;overflow:auto;font-size:12px}
</style></head><body>
<h1>Load run ${esc(r.runId)} ${r.ok ? '&#10003;' : '&#10007;'}</h1>
<p>Campaign <code>${esc(r.campaign.campaignId)}</code>${r.campaign.created ? ' (created for this run)' : ''}; seed ${r.seed};
target rate ${r.options.rate === 0 ? 'as fast as possible' : `${r.options.rate}/s`}; sent ${r.sent.claims} claim messages at ${r.throughput.sendPerSecond}/s;
decided ${r.decided.total} at ${r.throughput.decidedPerSecond}/s.</p>
<div class="chart"><canvas id="rates"></canvas></div>
<div class="chart"><canvas id="latency"></canvas></div>
<h2>Latency (ms)</h2><table><tr><th>stage</th><th>count</th><th>p50</th><th>p95</th><th>p99</th><th>max</th></tr>${lat}</table>
<h2>Expected vs observed</h2><table><tr><th>what</th><th>expected</th><th>observed</th></tr>${rows}</table>
${r.notes.map((n) => `<p>note: ${esc(n)}</p>`).join('')}
<h2>Summary</h2><pre>${esc(JSON.stringify(jsonSummary(r), null, 2))}</pre>
<script>${chartJs()}</script>
<script>
const d = ${json};
const opts = (y) => ({ responsive: true, maintainAspectRatio: false, animation: false, interaction: { mode: 'index', intersect: false },
  scales: { x: { title: { display: true, text: 'seconds since start' } }, y: { beginAtZero: true, title: { display: true, text: y } } } });
new Chart(document.getElementById('rates'), { type: 'line', data: { labels: d.t, datasets: [
  { label: 'claims sent / s', data: d.sent, borderColor: '#1f77b4', pointRadius: 0 },
  { label: 'claims decided / s', data: d.decided, borderColor: '#2ca02c', pointRadius: 0 } ] }, options: opts('messages per second') });
new Chart(document.getElementById('latency'), { type: 'line', data: { labels: d.t, datasets: [
  { label: 'decision p50', data: d.p50, borderColor: '#2ca02c', pointRadius: 0, spanGaps: true },
  { label: 'decision p95', data: d.p95, borderColor: '#ff7f0e', pointRadius: 0, spanGaps: true },
  { label: 'decision p99', data: d.p99, borderColor: '#d62728', pointRadius: 0, spanGaps: true } ] }, options: opts('ms (request to decision, by decision second)') });
</script>
</body></html>
`;
}

export function writeHtmlReport(r: LoadResult, file: string): string {
  const out = path.resolve(file);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, htmlReport(r));
  return out;
}
