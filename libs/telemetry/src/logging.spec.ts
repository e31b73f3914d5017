import { Controller, Get, Logger } from '@nestjs/common';
import { Module } from '@nestjs/common';
import { context, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createObservedApp, pinoOptions } from './logging';
import { scrubLogText } from './log-scrub';

function collector(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

const spanContext = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED };

describe('service logs', () => {
  beforeAll(() => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  });

  it('are JSON lines with service, level name and the active span ids', () => {
    const out = collector();
    const log = pino(pinoOptions({ service: 'claims', level: 'log' }), out.stream);
    context.with(trace.setSpanContext(context.active(), spanContext), () => log.info('claim decided'));
    log.info('outside any span');
    log.debug('below the level');
    const [inSpan, outside, ...rest] = out.lines();
    expect(inSpan).toMatchObject({
      service: 'claims',
      level: 'info',
      msg: 'claim decided',
      trace_id: spanContext.traceId,
      span_id: spanContext.spanId,
      trace_flags: '01',
    });
    expect(typeof inSpan?.time).toBe('string');
    expect(outside).not.toHaveProperty('trace_id');
    expect(rest).toHaveLength(0);
  });

  it('never carry raw phone numbers or credentials', () => {
    const out = collector();
    const log = pino(pinoOptions({ service: 'claims' }), out.stream);
    log.info({ phoneNumber: '010-1234-5678', nested: { phone: '+821012345678' }, note: 'called 01012345678' }, 'from +82 10-9876-5432');
    log.warn('Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvcHMifQ.c2lnbmF0dXJl');
    const text = out
      .lines()
      .map((l) => JSON.stringify(l))
      .join('\n');
    for (const secret of ['1234-5678', '1012345678', '9876-5432', 'eyJhbGciOiJIUzI1NiJ9', 'c2lnbmF0dXJl'])
      expect(text).not.toContain(secret);
    expect(text).toContain('"phoneNumber":"[REDACTED]"');
    expect(text).toContain('Bearer [REDACTED]');
  });

  it('masking keeps ids, counts and times readable', () => {
    const plain = 'claim 7f0c2a9e-0101-4a1b-9c3d-000000000001 of acc-000123 decided at 2022-10-19T10:00:00+09:00, 3000000 passes';
    expect(scrubLogText(plain)).toBe(plain);
    expect(scrubLogText('010 1234 5678')).toBe('*** **** **78');
  });

  it('a Nest app logs through pino (Logger of any class), one JSON line per call', async () => {
    @Controller()
    class Ping {
      private readonly log = new Logger('Ping');
      @Get('ping')
      ping(): string {
        this.log.warn('pinged');
        return 'pong';
      }
    }
    @Module({ controllers: [Ping] })
    class PingModule {}
    const out = collector();
    const app = await createObservedApp(PingModule, { service: 'ping-svc', destination: out.stream });
    await app.init();
    await app.get(Ping).ping();
    new Logger('Boot').log('started');
    await app.close();
    const lines = out.lines();
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ service: 'ping-svc', level: 'warn', context: 'Ping', msg: 'pinged' }),
        expect.objectContaining({ service: 'ping-svc', level: 'info', context: 'Boot', msg: 'started' }),
      ]),
    );
    expect(lines.map((l) => JSON.stringify(l)).join('')).not.toContain(String.fromCharCode(27));
  });
});
