import { Meter } from '@opentelemetry/api';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * Process health on every /metrics: event-loop delay (what a blocked loop does to consumers'
 * heartbeats and HTTP latency), heap, RSS, CPU. Names follow the Prometheus client conventions
 * so stock Node dashboards and alerts apply.
 */
export function registerRuntimeMetrics(meter: Meter): void {
  // 10 ms resolution: enough to see a loop blocked for tens of ms, cheap to keep running.
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const seconds = (ns: number) => (Number.isFinite(ns) ? ns / 1e9 : 0);
  meter
    .createObservableGauge('nodejs_eventloop_delay_seconds', {
      description: 'Event-loop delay since the last scrape, by quantile (p50, p99, max)',
    })
    .addCallback((r) => {
      r.observe(seconds(loop.percentile(50)), { quantile: '0.5' });
      r.observe(seconds(loop.percentile(99)), { quantile: '0.99' });
      r.observe(seconds(loop.max), { quantile: '1' });
      loop.reset();
    });
  meter.createObservableGauge('process_resident_memory_bytes', { description: 'Resident set size' }).addCallback((r) => {
    r.observe(process.memoryUsage.rss());
  });
  meter.createObservableGauge('nodejs_heap_bytes', { description: 'V8 heap, by kind (used, total)' }).addCallback((r) => {
    const m = process.memoryUsage();
    r.observe(m.heapUsed, { kind: 'used' });
    r.observe(m.heapTotal, { kind: 'total' });
    r.observe(m.external, { kind: 'external' });
  });
  meter.createObservableCounter('process_cpu_seconds', { description: 'User and system CPU time, by mode' }).addCallback((r) => {
    const u = process.cpuUsage();
    r.observe(u.user / 1e6, { mode: 'user' });
    r.observe(u.system / 1e6, { mode: 'system' });
  });
  const started = Date.now() / 1000 - process.uptime();
  meter.createObservableGauge('process_start_time_seconds', { description: 'Start of the process, Unix seconds' }).addCallback((r) => {
    r.observe(started);
  });
}
