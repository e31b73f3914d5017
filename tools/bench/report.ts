// What `npm run bench` computes from its measurements and how it shows them: the steady state,
// the ratios (claims alone / raw pipeline, platform / Postgres bound), the markdown summary and a
// self-contained HTML report (inline SVG charts, no network).
import { jsonSummary, LoadResult, stageLabel } from '@platform/tools-loadgen';
import type { ConsumerPerf, PgInsertRate, ProducerPerf } from './ceilings';
import type { ClaimsAloneResult } from './claims-alone';
import type { CpuReport } from './cpu';
import type { MachineInfo } from './machine';
import type { RawPipelineResult } from './raw-pipeline';
import type { RssStats } from './services';

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

/**
 * Postgres row writes (inserts and deletes) one claim costs across the services, from the launch
 * mix: the claim row, 3 entitlements, ~1.2 coupons and a pass reservation are 6.2 effect rows; each
 * is written with an outbox row in the same transaction, and the relay deletes that outbox row once
 * published: 3 writes per effect row, 3 x 6.2 = 18.6 (~19). Consumer-offset upserts are per chunk
 * (hundreds of claims), not per claim, and are left out.
 */
export const ROW_WRITES_PER_CLAIM = 3 * (1 + 3 + 1.2 + 1);

export interface PostgresBound {
  /** The same run's `unnest` insert ceiling. */
  rowsPerSecond: number;
  rowWritesPerClaim: number;
  /** Claims per second Postgres alone could take at that ceiling. */
  claimsPerSecond: number;
}

export function postgresBound(rowsPerSecond: number | undefined, rowWritesPerClaim = ROW_WRITES_PER_CLAIM): PostgresBound | null {
  if (!rowsPerSecond || rowsPerSecond <= 0) return null;
  return { rowsPerSecond, rowWritesPerClaim: round(rowWritesPerClaim, 2), claimsPerSecond: Math.round(rowsPerSecond / rowWritesPerClaim) };
}

/** a / b to 3 decimals, or null when either side was not measured. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  return a && b ? round(a / b, 3) : null;
}

export interface SteadyState {
  fromSecond: number;
  toSecond: number;
  decidedPerSecond: number;
  entitlementsPerSecond: number;
  passDecisionsPerSecond: number;
  sentPerSecond: number;
}

/** Mean per-second counts over [from, to) of the run's series. */
export function steadyState(r: Pick<LoadResult, 'series'>, from: number, to: number): SteadyState {
  const pts = r.series.filter((p) => p.t >= from && p.t < to);
  const n = Math.max(1, to - from);
  const sum = (k: string) => pts.reduce((s, p) => s + (p.counts[k] ?? 0), 0);
  return {
    fromSecond: from,
    toSecond: to,
    decidedPerSecond: round(sum('decided') / n),
    entitlementsPerSecond: round(sum('entitlements') / n),
    passDecisionsPerSecond: round(sum('passDecisions') / n),
    sentPerSecond: round(sum('sent') / n),
  };
}

/** One second of the sustained phase, for the throughput chart. */
export interface ThroughputPoint {
  t: number;
  sent: number;
  decided: number;
  entitlements: number;
  passDecisions: number;
}

export function throughputSeries(r: Pick<LoadResult, 'series'>): ThroughputPoint[] {
  return r.series.map((p) => ({ t: p.t, sent: p.counts.sent ?? 0, decided: p.counts.decided ?? 0, entitlements: p.counts.entitlements ?? 0, passDecisions: p.counts.passDecisions ?? 0 }));
}

export interface BenchResult {
  benchmark: 'e2e';
  version: 1;
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  ceiling: { kafkaProducer: ProducerPerf | null; kafkaConsumer: ConsumerPerf | null; postgresInsert: PgInsertRate | null; errors: string[] };
  /** One hop, on the same broker and database: the raw pipeline and the claims service alone. */
  hop: { records: number; raw: RawPipelineResult | null; claimsAlone: ClaimsAloneResult | null; errors: string[] } | null;
  services: { mode: string; prefix: string; running: { name: string; pid: number | null; origin: string }[]; missing: string[] };
  memory: { idle: Record<string, RssStats>; loaded: Record<string, RssStats> };
  sustained: { durationS: number; warmupS: number; maxInFlight: number; steady: SteadyState; run: ReturnType<typeof jsonSummary>; series?: ThroughputPoint[] } | null;
  latency: { rate: number; durationS: number; run: ReturnType<typeof jsonSummary> } | null;
  postgresBound: PostgresBound | null;
  /** Platform processes' CPU over the sustained phase (services, Kafka, Postgres). */
  cpu: (CpuReport & { notes: string[] }) | null;
  ratios: Record<string, number | null>;
}

/** The ratios of a run; the earlier keys keep their names. */
export function benchRatios(b: Pick<BenchResult, 'ceiling' | 'hop' | 'sustained' | 'postgresBound'>): Record<string, number | null> {
  const decided = b.sustained?.steady.decidedPerSecond;
  return {
    decidedVsKafkaProducer: ratio(decided, b.ceiling.kafkaProducer?.recordsPerSecond),
    decidedVsKafkaConsumer: ratio(decided, b.ceiling.kafkaConsumer?.recordsPerSecond),
    decidedVsPostgresInsert: ratio(decided, b.ceiling.postgresInsert?.rowsPerSecond),
    claimsAloneVsRaw: ratio(b.hop?.claimsAlone?.acceptedPerSecond, b.hop?.raw?.recordsPerSecond),
    decidedVsPostgresBound: ratio(decided, b.postgresBound?.claimsPerSecond),
  };
}

const n0 = (x: number | null | undefined) => (x === null || x === undefined ? '-' : x.toLocaleString('en-US'));

export function markdown(b: BenchResult): string {
  const m = b.machine;
  const c = b.ceiling;
  const s = b.sustained;
  const l = b.latency;
  const r = b.ratios;
  const lines: string[] = [];
  lines.push(`### End-to-end benchmark (${b.startedAt.slice(0, 16).replace('T', ' ')} UTC)`);
  lines.push('');
  lines.push(`Machine: ${m.cpus} x ${m.cpuModel}, ${m.memoryGiB} GiB; Node ${m.node}, ${m.java ?? 'no java'}, Postgres ${m.postgres ?? '?'}, Kafka ${m.kafka ?? '?'} (single broker), kafkajs ${m.kafkajs}. Load average ${m.loadAverageStart} at start, ${m.loadAverageEnd ?? '?'} at end.`);
  lines.push(`Services: ${b.services.running.map((x) => x.name).join(', ')} (${b.services.mode}${b.services.missing.length ? `; missing: ${b.services.missing.join(', ')}` : ''}).`);
  lines.push('');
  lines.push('| measure | value | ratio to ceiling |');
  lines.push('|---|---|---|');
  if (c.kafkaProducer) lines.push(`| Kafka ProducerPerformance, acks=all, 150 B | ${n0(c.kafkaProducer.recordsPerSecond)} rec/s (p99 ${c.kafkaProducer.p99Ms} ms) | ceiling |`);
  if (c.kafkaConsumer) lines.push(`| Kafka ConsumerPerformance | ${n0(c.kafkaConsumer.recordsPerSecond)} rec/s | ceiling |`);
  if (c.postgresInsert) lines.push(`| Postgres node-pg unnest insert, 1000-row batches, 1 conn | ${n0(c.postgresInsert.rowsPerSecond)} rows/s | ceiling |`);
  if (b.postgresBound) lines.push(`| Postgres bound: insert ceiling / ${b.postgresBound.rowWritesPerClaim} row writes per claim | ${n0(b.postgresBound.claimsPerSecond)} claims/s | bound |`);
  if (b.hop?.raw) lines.push(`| raw one-hop pipeline (kafkajs + pg, ${n0(b.hop.records)} claims) | ${n0(b.hop.raw.recordsPerSecond)} rec/s | reference |`);
  if (b.hop?.claimsAlone) lines.push(`| claims service alone (same claims) | ${n0(b.hop.claimsAlone.acceptedPerSecond)} accepted/s | **${r.claimsAloneVsRaw ?? '-'}x raw** |`);
  if (s) {
    lines.push(
      `| **claims decided/s, sustained ${s.durationS} s** (steady s ${s.steady.fromSecond}-${s.steady.toSecond}) | **${n0(s.steady.decidedPerSecond)}/s** | **${r.decidedVsPostgresBound ?? '-'}x Postgres bound**; ${r.decidedVsKafkaProducer ?? '-'} of producer, ${r.decidedVsKafkaConsumer ?? '-'} of consumer, ${r.decidedVsPostgresInsert ?? '-'} of PG insert |`,
    );
    lines.push(`| entitlements granted/s (same window) | ${n0(s.steady.entitlementsPerSecond)}/s | |`);
    lines.push(`| pass decisions/s (same window) | ${n0(s.steady.passDecisionsPerSecond)}/s | |`);
    lines.push(`| sustained run: expected answers all observed | ${s.run.ok ? 'yes' : `NO (${s.run.comparison.filter((x) => !x.ok).map((x) => x.what).join(', ')})`} | |`);
  }
  if (b.cpu) {
    const k = b.cpu.byKind;
    lines.push(`| CPU per decided claim, all platform processes (sustained phase) | ${b.cpu.cpuMsPerDecidedClaim ?? '-'} ms (${b.cpu.totalCpuSeconds} s for ${n0(b.cpu.decidedClaims)} claims: services ${k.services} s, Kafka ${k.kafka} s, Postgres ${k.postgres} s; ${b.cpu.coresBusy} cores busy) | |`);
  }
  if (b.hop?.errors.length) lines.push('', `One-hop errors: ${b.hop.errors.join('; ')}`);
  if (l) {
    lines.push('');
    lines.push(`Latency at ${l.rate} claims/s for ${l.durationS} s (ms, request to answer, Kafka timestamps):`);
    lines.push('');
    lines.push('| stage | p50 | p95 | p99 | max |');
    lines.push('|---|---|---|---|---|');
    for (const [stage, x] of Object.entries(l.run.latencyMs)) if (x) lines.push(`| ${stageLabel(stage)} | ${x.p50} | ${x.p95} | ${x.p99} | ${x.max} |`);
  }
  lines.push('');
  lines.push('Memory (RSS MiB): idle / loaded max');
  lines.push('');
  lines.push('| service | idle | loaded max |');
  lines.push('|---|---|---|');
  for (const x of b.services.running) lines.push(`| ${x.name} | ${b.memory.idle[x.name]?.meanMiB ?? '-'} | ${b.memory.loaded[x.name]?.maxMiB ?? '-'} |`);
  if (c.errors.length) lines.push('', `Ceiling errors: ${c.errors.join('; ')}`);
  if (b.cpu?.notes.length) lines.push('', `CPU notes: ${b.cpu.notes.join('; ')}`);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// HTML report: inline SVG so the file opens anywhere without network or scripts.

const esc = (s: string): string => s.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] ?? ch);
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#17becf'];

/** A round number at or above `x` for the top of an axis (1, 2, 2.5, 5 x 10^k). */
export function niceCeiling(x: number): number {
  if (!(x > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= x) return m * p;
  return 10 * p;
}

export interface ChartSeries {
  name: string;
  values: (number | null)[];
}

const W = 880;
const H = 260;
const M = { l: 64, r: 16, t: 28, b: 44 };

function legend(series: readonly ChartSeries[]): string {
  return series.map((s, i) => `<g transform="translate(${M.l + i * 150},${H - 8})"><rect width="12" height="12" y="-10" fill="${COLORS[i % COLORS.length]}"/><text x="16">${esc(s.name)}</text></g>`).join('');
}

function yAxis(top: number, unit: string): string {
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const y = M.t + (H - M.t - M.b) * (1 - f);
    return `<line x1="${M.l}" x2="${W - M.r}" y1="${y}" y2="${y}" stroke="#eee"/><text x="${M.l - 6}" y="${y + 4}" text-anchor="end">${esc(n0(round(top * f, 1)))}</text>`;
  });
  return `${ticks.join('')}<text x="4" y="${M.t - 10}">${esc(unit)}</text>`;
}

/** A line per series over `xs` (seconds). */
export function lineChartSvg(title: string, xs: readonly number[], series: readonly ChartSeries[], unit: string): string {
  const top = niceCeiling(Math.max(0, ...series.flatMap((s) => s.values.filter((v): v is number => v !== null))));
  const x0 = xs[0] ?? 0;
  const x1 = Math.max(x0 + 1, xs[xs.length - 1] ?? 1);
  const px = (x: number) => M.l + ((x - x0) / (x1 - x0)) * (W - M.l - M.r);
  const py = (v: number) => M.t + (H - M.t - M.b) * (1 - v / top);
  const lines = series.map((s, i) => {
    const pts = s.values.map((v, k) => (v === null || xs[k] === undefined ? null : `${round(px(xs[k] as number), 1)},${round(py(v), 1)}`)).filter((p): p is string => p !== null);
    return `<polyline fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="1.5" points="${pts.join(' ')}"><title>${esc(s.name)}</title></polyline>`;
  });
  const xticks = Array.from({ length: 6 }, (_, k) => x0 + ((x1 - x0) * k) / 5).map((x) => `<text x="${round(px(x), 1)}" y="${H - M.b + 14}" text-anchor="middle">${Math.round(x)} s</text>`);
  return `<figure><figcaption>${esc(title)}</figcaption><svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">${yAxis(top, unit)}${xticks.join('')}${lines.join('')}${legend(series)}</svg></figure>`;
}

/** Grouped bars: one group per category, one bar per series, the value written above it. */
export function barChartSvg(title: string, categories: readonly string[], series: readonly ChartSeries[], unit: string): string {
  const top = niceCeiling(Math.max(0, ...series.flatMap((s) => s.values.filter((v): v is number => v !== null))));
  const gw = (W - M.l - M.r) / Math.max(1, categories.length);
  const bw = Math.max(2, (gw * 0.8) / Math.max(1, series.length));
  const py = (v: number) => M.t + (H - M.t - M.b) * (1 - v / top);
  const bars: string[] = [];
  categories.forEach((c, ci) => {
    series.forEach((s, si) => {
      const v = s.values[ci];
      if (v === null || v === undefined) return;
      const x = M.l + ci * gw + gw * 0.1 + si * bw;
      const y = py(v);
      bars.push(`<rect x="${round(x, 1)}" y="${round(y, 1)}" width="${round(bw - 1, 1)}" height="${round(H - M.b - y, 1)}" fill="${COLORS[si % COLORS.length]}"><title>${esc(`${c} ${s.name}: ${v}`)}</title></rect><text x="${round(x + bw / 2, 1)}" y="${round(y - 3, 1)}" text-anchor="middle" font-size="10">${esc(n0(v))}</text>`);
    });
    bars.push(`<text x="${round(M.l + ci * gw + gw / 2, 1)}" y="${H - M.b + 14}" text-anchor="middle">${esc(c)}</text>`);
  });
  return `<figure><figcaption>${esc(title)}</figcaption><svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">${yAxis(top, unit)}${bars.join('')}${legend(series)}</svg></figure>`;
}

/** Rows of [measure, value] for the headline table. */
export function headline(b: BenchResult): [string, string][] {
  const rows: [string, string][] = [];
  const r = b.ratios;
  if (b.hop?.raw) rows.push(['raw one-hop pipeline', `${n0(b.hop.raw.recordsPerSecond)} rec/s`]);
  if (b.hop?.claimsAlone) rows.push(['claims service alone', `${n0(b.hop.claimsAlone.acceptedPerSecond)} accepted/s`]);
  rows.push(['claims alone / raw', r.claimsAloneVsRaw === null || r.claimsAloneVsRaw === undefined ? '-' : `${r.claimsAloneVsRaw}x`]);
  if (b.sustained) rows.push([`whole platform, decided/s (sustained ${b.sustained.durationS} s)`, `${n0(b.sustained.steady.decidedPerSecond)}/s`]);
  if (b.postgresBound) rows.push([`Postgres bound (${n0(b.postgresBound.rowsPerSecond)} rows/s / ${b.postgresBound.rowWritesPerClaim})`, `${n0(b.postgresBound.claimsPerSecond)} claims/s`]);
  rows.push(['platform / Postgres bound', r.decidedVsPostgresBound === null || r.decidedVsPostgresBound === undefined ? '-' : `${r.decidedVsPostgresBound}x`]);
  if (b.cpu) rows.push(['CPU per decided claim (services + Kafka + Postgres)', `${b.cpu.cpuMsPerDecidedClaim ?? '-'} ms`]);
  return rows;
}

export function htmlReport(b: BenchResult): string {
  const m = b.machine;
  const parts: string[] = [];
  const table = (head: string[], rows: string[][]) => `<table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows.map((row) => `<tr>${row.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</table>`;
  parts.push(`<h1>npm run bench, ${esc(b.startedAt.slice(0, 16).replace('T', ' '))} UTC</h1>`);
  parts.push(`<p>${esc(`${m.cpus} x ${m.cpuModel}, ${m.memoryGiB} GiB; Node ${m.node}; Postgres ${m.postgres ?? '?'}; Kafka ${m.kafka ?? '?'}; load average ${m.loadAverageStart} at start, ${m.loadAverageEnd ?? '?'} at end. Services: ${b.services.running.map((x) => x.name).join(', ') || 'none'} (${b.services.mode}).`)}</p>`);
  parts.push(table(['measure', 'value'], headline(b)));

  const series = b.sustained?.series ?? [];
  if (series.length) {
    parts.push(
      lineChartSvg(
        'Throughput over time, sustained phase (per second)',
        series.map((p) => p.t),
        [
          { name: 'claims sent', values: series.map((p) => p.sent) },
          { name: 'claims decided', values: series.map((p) => p.decided) },
          { name: 'entitlements', values: series.map((p) => p.entitlements) },
          { name: 'pass decisions', values: series.map((p) => p.passDecisions) },
        ],
        'per s',
      ),
    );
  }
  const lat = Object.entries(b.latency?.run.latencyMs ?? {}).filter((e): e is [string, NonNullable<(typeof e)[1]>] => !!e[1]);
  if (lat.length && b.latency) {
    const stages = lat.map(([k]) => stageLabel(k).replace(/^request -> /, ''));
    parts.push(
      barChartSvg(
        `Latency percentiles per stage at ${b.latency.rate} claims/s (ms from request)`,
        stages,
        [
          { name: 'p50', values: lat.map(([, x]) => x.p50) },
          { name: 'p95', values: lat.map(([, x]) => x.p95) },
          { name: 'p99', values: lat.map(([, x]) => x.p99) },
        ],
        'ms',
      ),
    );
    parts.push(
      table(
        ['stage', 'count', 'p50', 'p95', 'p99', 'max'],
        lat.map(([k, x]) => [stageLabel(k), n0(x.count), String(x.p50), String(x.p95), String(x.p99), String(x.max)]),
      ),
    );
  }
  const names = b.services.running.map((x) => x.name);
  if (names.length) {
    parts.push(
      barChartSvg(
        'RSS per service (MiB)',
        names,
        [
          { name: 'idle (mean)', values: names.map((x) => b.memory.idle[x]?.meanMiB ?? null) },
          { name: 'loaded (max)', values: names.map((x) => b.memory.loaded[x]?.maxMiB ?? null) },
        ],
        'MiB',
      ),
    );
  }
  if (b.cpu) {
    const groups = Object.keys(b.cpu.cpuSeconds);
    parts.push(barChartSvg(`CPU seconds per process group over the sustained phase (${b.cpu.wallSeconds} s wall, ${n0(b.cpu.decidedClaims)} claims decided)`, groups, [{ name: 'CPU s', values: groups.map((g) => b.cpu?.cpuSeconds[g] ?? null) }], 'CPU s'));
    if (b.cpu.notes.length) parts.push(`<p>${esc(b.cpu.notes.join('; '))}</p>`);
  }
  const errors = [...b.ceiling.errors, ...(b.hop?.errors ?? [])];
  if (errors.length) parts.push(`<p class="bad">${esc(errors.join('; '))}</p>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>bench ${esc(b.startedAt)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:2rem;max-width:940px;color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:right}
td:first-child,th:first-child{text-align:left}figure{margin:1.5rem 0}figcaption{font-weight:600;margin-bottom:.3rem}
svg{font:11px system-ui,sans-serif}.bad{color:#b00}
</style></head><body>
${parts.join('\n')}
</body></html>
`;
}
