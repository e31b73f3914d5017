import { context, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { PayloadOf, Topics } from '@platform/contracts';
import { createKafka, SafePublisher } from '@platform/messaging';
import { startTelemetry, Telemetry } from '@platform/telemetry';
import { testInfra, testKafka, waitFor } from '@platform/testing';
import { accepted, appBearer, PassTestBed } from './helpers';

jest.setTimeout(90_000);

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;

/**
 * Issue 18: timer-driven events carry a traceparent. A pass is sent by the sender's round and
 * noticed by the watchdog long after its claim was consumed; both events continue the claim's
 * trace (its traceparent stored on the pass row), and each round has a span of its own.
 */
describe('pass events continue the claim trace; the queue on /metrics', () => {
  const campaignId = 'heart-pack-trace-test';
  const exporter = new InMemorySpanExporter();
  let telemetry: Telemetry;
  let bed: PassTestBed;
  let publisher: SafePublisher;

  beforeAll(async () => {
    telemetry = startTelemetry({ serviceName: 'pass-dispatcher', exporter });
    bed = await PassTestBed.start('passes-trace', {
      sim: { SIM_RATE_LIMIT_PER_SECOND: '50', SIM_ERROR_RATE: '0', SIM_SEED: '3' },
      collect: [Topics.passSent.name, Topics.passDelayNotice.name],
    });
    await bed.startDispatcher({ DISPATCH_RATE_PER_SECOND: '20', WATCHDOG_INTERVAL_MS: '200' }, { http: true });
    // its own producer: the claims carry trace headers
    publisher = new SafePublisher(createKafka({ brokers: testInfra().brokers, clientId: 'pass-trace-test' }));
    bed.defer(() => publisher.close());
  });

  afterAll(async () => {
    await bed?.close();
    await telemetry?.shutdown();
  });

  it('talkdrawer.pass.sent.v1 and the delay notice carry the traceparent of their claim', async () => {
    const claims = [0, 1, 2].map((i) => {
      const root = trace.getTracer('claims').startSpan(`decide claim ${i}`);
      root.end();
      const headers: Record<string, string> = {};
      propagation.inject(trace.setSpan(context.active(), root), headers);
      // claimed an hour ago with a 1 s delay threshold: every pass is late at once and gets a notice
      const value: PayloadOf<'claimDecided'> = accepted(i, {
        campaignId,
        pass: { cap: 10, delayNoticeAfterSeconds: 1 },
        requestedAt: new Date(Date.now() - 3600_000),
      });
      return { traceId: root.spanContext().traceId, value, headers };
    });
    await publisher.publish(
      claims.map((c) => ({
        topic: bed.prefix + Topics.claimDecided.name,
        key: c.value.accountId,
        value: Buffer.from(JSON.stringify(c.value)),
        headers: c.headers,
      })),
    );
    const sent = await waitFor(
      '3 sent events',
      () => {
        const s = bed.on(Topics.passSent.name);
        return s.length >= 3 ? s : null;
      },
      60_000,
    );
    const notices = await waitFor(
      '3 delay notices',
      () => {
        const s = bed.on(Topics.passDelayNotice.name);
        return s.length >= 3 ? s : null;
      },
      30_000,
    );
    for (const c of claims) {
      for (const m of [...sent, ...notices].filter((x) => x.key === c.value.accountId)) {
        const [, traceId] = TRACEPARENT.exec(m.headers.traceparent ?? '') ?? [];
        expect({ topic: m.topic, traceId }).toEqual({ topic: m.topic, traceId: c.traceId });
      }
    }
    // each pass's "pass sent" span sits in its claim's trace and links to the send round's span
    await telemetry.tracerProvider.forceFlush();
    const spans = exporter.getFinishedSpans();
    const rounds = spans.filter((s) => s.name === 'pass send round');
    expect(rounds.length).toBeGreaterThan(0);
    const passSpans = spans.filter((s) => s.name === 'pass sent');
    for (const c of claims) {
      const own = passSpans.find((s) => s.spanContext().traceId === c.traceId);
      expect(own).toBeDefined();
      expect(rounds.map((r) => r.spanContext().spanId)).toContain(own?.links[0]?.context.spanId);
    }
    expect(spans.some((s) => s.name === 'pass delay watchdog' || s.name === 'pass delay notice before sending')).toBe(true);
  });

  it('/metrics reports grants, the queue, channel answers, dead letters by reason and the runtime', async () => {
    await publisher.publish([
      { topic: bed.prefix + Topics.claimDecided.name, key: 'acct-bad', value: Buffer.from('not json'), headers: {} },
    ]);
    const scrape = async () => {
      const res = await fetch(`${bed.url}/metrics`, { headers: await appBearer(bed.app, 'reader') });
      expect(res.status).toBe(200);
      return res.text();
    };
    // the relay publishes the dead letter; then the gauge (asked of Kafka at most every 15 s) follows
    const admin = testKafka().admin();
    await admin.connect();
    await waitFor(
      'the dead letter in Kafka',
      async () => {
        const offsets = await admin.fetchTopicOffsets(`${bed.prefix}${Topics.claimDecided.name}.dlq`);
        return offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0) === 1;
      },
      90_000,
      500,
    );
    await admin.disconnect();
    const text = await waitFor(
      'the dead letter counted',
      async () => {
        const t = await scrape();
        const depth = new RegExp(`^messaging_dlq_depth\\{topic="${Topics.claimDecided.name}.dlq"[^}]*\\} 1$`, 'm').test(t);
        return depth && /messaging_dead_lettered_by_reason_total\{[^}]*reason="MALFORMED_JSON"[^}]*\} 1/.test(t) ? t : null;
      },
      45_000,
    );
    const value = (name: string, labels: Record<string, string>): number | null => {
      for (const line of text.split('\n')) {
        if (!line.startsWith(`${name}{`)) continue;
        if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.split(' ').pop());
      }
      return null;
    };
    expect(value('heartpack_grants_total', { campaign: campaignId, kind: 'pass_reserved' })).toBe(3);
    expect(value('heartpack_grants_total', { campaign: campaignId, kind: 'pass_sent' })).toBe(3);
    expect(value('heartpack_pass_delay_notices_total', { campaign: campaignId })).toBe(3);
    expect(value('heartpack_pass_reserved', { campaign: campaignId })).toBe(3);
    expect(value('heartpack_pass_sent_watermark', { campaign: campaignId })).toBe(3);
    expect(value('heartpack_pass_queue_depth', { campaign: campaignId })).toBe(0);
    expect(value('heartpack_pass_delay_bound_seconds', { campaign: campaignId })).toBe(1);
    expect(value('heartpack_channel_responses_total', { campaign: campaignId, outcome: 'delivered' })).toBeGreaterThanOrEqual(3);
    expect(value('messaging_dlq_depth', { topic: `${Topics.claimDecided.name}.dlq` })).toBe(1);
    expect(value('nodejs_eventloop_delay_seconds', { quantile: '0.99' })).toEqual(expect.any(Number));
    expect(text).toMatch(/^process_resident_memory_bytes(\{[^}]*\})? \d+/m);
    expect(text).toMatch(/^nodejs_heap_bytes\{[^}]*kind="used"/m);
  }, 180_000);
});
