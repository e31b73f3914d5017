import { context, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { Writable } from 'node:stream';
import { bearer } from '@platform/auth/testing';
import { CampaignDefinition, Topics } from '@platform/contracts';
import { createKafka, SafePublisher } from '@platform/messaging';
import { startTelemetry, Telemetry } from '@platform/telemetry';
import { testInfra, waitFor } from '@platform/testing';
import { ClaimsTestBed } from './helpers';

jest.setTimeout(120_000);

const HOUR = 3600_000;

/** Issue 18: a claim's log line carries its trace id, and its decision continues the same trace. */
describe('claims logs joined to traces', () => {
  const exporter = new InMemorySpanExporter();
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  let telemetry: Telemetry;
  let bed: ClaimsTestBed;
  let publisher: SafePublisher;
  const campaignId = `trace-${Date.now()}`;

  beforeAll(async () => {
    telemetry = startTelemetry({ serviceName: 'claims', exporter });
    bed = await ClaimsTestBed.start('claims-trace', { collect: [Topics.claimDecided.name, Topics.campaignDefined.name] });
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString('utf8').split('\n').filter(Boolean)) {
          raw.push(l);
          lines.push(JSON.parse(l) as Record<string, unknown>);
        }
        done();
      },
    });
    await bed.startClaims({ LOG_LEVEL: 'debug' }, { logDestination: destination });
    const now = Date.now();
    const campaign: CampaignDefinition = {
      campaignId,
      name: 'trace test',
      opensAt: new Date(now - HOUR).toISOString(),
      closesAt: new Date(now + HOUR).toISOString(),
      rewards: { emoticons: [{ emoticonId: 'e1', name: 'E1', validityDays: null }], coupons: null, pass: null },
      relief: null,
    };
    await bed.defineCampaign(campaign);
    publisher = new SafePublisher(createKafka({ brokers: testInfra().brokers, clientId: 'trace-logs-test' }));
    bed.defer(() => publisher.close());
  });

  afterAll(async () => {
    await bed?.close();
    await telemetry?.shutdown();
  });

  it('the decision log line and the decided event carry the trace id of the claim', async () => {
    const root = trace.getTracer('app-backend').startSpan('tap receive-all-three');
    const headers: Record<string, string> = {};
    propagation.inject(trace.setSpan(context.active(), root), headers);
    root.end();
    const traceId = root.spanContext().traceId;
    await publisher.publish([
      {
        topic: bed.prefix + Topics.claimRequested.name,
        key: 'acct-trace-1',
        value: Buffer.from(
          JSON.stringify({
            eventId: 'ev-trace-1',
            campaignId,
            accountId: 'acct-trace-1',
            talkLinked: true,
            phoneNumber: '010-2345-6789',
            makersMember: false,
            requestedAt: new Date().toISOString(),
          }),
        ),
        headers,
      },
    ]);
    const line = await waitFor(
      'the decision log line',
      () => lines.find((l) => l.msg === 'claim decided' && l.eventId === 'ev-trace-1'),
      60_000,
    );
    expect(line).toMatchObject({ service: 'claims', level: 'debug', status: 'ACCEPTED', trace_id: traceId });
    // the span the line names is the claim's processing span, exported to the trace backend
    const spans = await waitFor('the processing span', () =>
      exporter.getFinishedSpans().find((s) => s.spanContext().spanId === line.span_id && s.spanContext().traceId === traceId),
    );
    expect(spans.name).toBe(`process ${Topics.claimRequested.name}`);

    const decided = await waitFor('the decision', () => bed.on(Topics.claimDecided.name).find((m) => m.key === 'acct-trace-1'));
    expect(decided.headers.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-0[01]$`));
    // the raw phone number never reaches a log line
    expect(raw.join('\n')).not.toContain('2345-6789');
  });

  it('a campaign announcement (no inbound message) carries a traceparent of its own', async () => {
    const defined = await waitFor('the announcement', () => bed.on(Topics.campaignDefined.name).find((m) => m.value.includes(campaignId)));
    expect(defined.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
  });

  it('serves its OpenAPI document at /docs and /docs-json to reader and ops only', async () => {
    expect((await fetch(`${bed.url}/docs-json`)).status).toBe(401);
    expect((await fetch(`${bed.url}/docs`)).status).toBe(401);
    expect((await fetch(`${bed.url}/docs-json`, { headers: await bearer(bed.config, 'app-backend') })).status).toBe(403);
    const res = await fetch(`${bed.url}/docs-json`, { headers: await bearer(bed.config, 'reader') });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { info: { title: string }; paths: Record<string, Record<string, { 'x-roles'?: string[] }>> };
    expect(doc.info.title).toBe('claims HTTP API');
    expect(doc.paths['/campaigns']?.post?.['x-roles']).toEqual(['ops']);
    const ui = await fetch(`${bed.url}/docs`, { headers: await bearer(bed.config, 'ops') });
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger');
  });
});
