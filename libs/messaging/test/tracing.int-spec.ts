import { INestApplication } from '@nestjs/common';
import { context, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Topics } from '@platform/contracts';
import { startTelemetry, Telemetry } from '@platform/telemetry';
import { createTestDatabase, createTestTopics, TestDatabase, testInfra, waitFor } from '@platform/testing';
import { createFixtureApp, DecisionObserver } from './fixture-app';
import { claim, ClaimFeeder } from './helpers';

jest.setTimeout(90_000);

describe('trace propagation through the outbox', () => {
  const { brokers } = testInfra();
  const exporter = new InMemorySpanExporter();
  let telemetry: Telemetry;
  let dbA: TestDatabase;
  let dbB: TestDatabase;
  let apps: INestApplication[] = [];
  let feeder: ClaimFeeder;

  beforeAll(async () => {
    telemetry = startTelemetry({ serviceName: 'trace-test', exporter });
    dbA = await createTestDatabase('trace_a');
    dbB = await createTestDatabase('trace_b');
    const prefix = await createTestTopics('trace');
    apps = [
      await createFixtureApp({ databaseUrl: dbA.url, brokers, prefix, service: 'svc-a', role: 'claims' }),
      await createFixtureApp({ databaseUrl: dbB.url, brokers, prefix, service: 'svc-b', role: 'observer' }),
    ];
    feeder = new ClaimFeeder(brokers, prefix);
  });

  afterAll(async () => {
    await feeder?.close();
    for (const a of apps) await a.close();
    await dbA?.drop();
    await dbB?.drop();
    await telemetry?.shutdown();
  });

  it('one published event yields one connected trace across two services', async () => {
    const root = trace.getTracer('app-backend').startSpan('tap receive-all-three');
    const headers: Record<string, string> = {};
    propagation.inject(trace.setSpan(context.active(), root), headers);
    root.end();
    await feeder.send([claim(777001)], headers);
    await waitFor('observer saw the decision', () => DecisionObserver.seen.includes('ev-777001'), 60000);

    const traceId = root.spanContext().traceId;
    const spans = await waitFor('spans of both hops', () => {
      const s = exporter.getFinishedSpans().filter((x: ReadableSpan) => x.spanContext().traceId === traceId);
      const a = s.find((x) => x.name === `process ${Topics.claimRequested.name}`);
      const b = s.find((x) => x.name === `process ${Topics.claimDecided.name}`);
      return a && b ? { a, b } : null;
    });
    // hop 1 continues the publisher's span; hop 2 continues hop 1's span (carried in the outbox row)
    expect(spans.a.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    expect(spans.b.parentSpanContext?.spanId).toBe(spans.a.spanContext().spanId);
  });
});
