import { dlqName, Topics } from '@platform/contracts';
import { testInfra, waitFor } from '@platform/testing';
import { DLQ_HEADERS } from '../src';
import { createFixtureApp } from './fixture-app';
import { claim, ClaimFeeder } from './helpers';
import { ServiceHarness } from './service-harness';
import { TestBed } from './test-bed';

jest.setTimeout(90_000);

describe('messaging library on real Kafka and Postgres', () => {
  const { brokers } = testInfra();
  let bed: TestBed;
  let feeder: ClaimFeeder;

  beforeAll(async () => {
    bed = await TestBed.open('messaging', { collect: [Topics.claimDecided.name, dlqName(Topics.claimRequested.name)] });
    await bed.startApp(() => createFixtureApp({ databaseUrl: bed.db.url, brokers, prefix: bed.prefix, poisonAccounts: ['acct-poison'] }));
    feeder = new ClaimFeeder(brokers, bed.prefix);
    bed.defer(() => feeder.close());
  });

  afterAll(() => bed?.close());

  const effects = async (): Promise<Map<string, number>> => {
    const r = await bed.pg.query<{ event_id: string; n: string }>('SELECT event_id, count(*) AS n FROM fixture_effect GROUP BY event_id');
    return new Map(r.rows.map((x) => [x.event_id, Number(x.n)]));
  };

  it('applies each message once and publishes its event through the outbox', async () => {
    const values = Array.from({ length: 2000 }, (_, i) => claim(i));
    await feeder.send(values);
    await waitFor('2000 decisions', () => bed.on(Topics.claimDecided.name).length >= 2000, 60000);
    const e = await effects();
    expect(e.size).toBe(2000);
    expect([...e.values()].every((n) => n === 1)).toBe(true);
    const decided = bed.on(Topics.claimDecided.name);
    expect(new Set(decided.map((d) => d.json<{ eventId: string }>().eventId)).size).toBe(2000);
    // keyed by account id, on the partition our partitioner chose
    expect(decided.every((d) => d.key === d.json<{ accountId: string }>().accountId)).toBe(true);
    const { rows } = await bed.pg.query('SELECT count(*)::int AS n FROM outbox_message');
    expect(rows[0].n).toBe(0);
  });

  it('parks malformed, schema-breaking, oversized and rule-breaking messages in the DLQ with reasons, and keeps going', async () => {
    const dlq = bed.prefix + dlqName(Topics.claimRequested.name);
    await feeder.send(['{not json', JSON.stringify({ ...claim(9001), talkLinked: 'yes' }), JSON.stringify({ eventId: 'x' })]);
    await feeder.send([Buffer.alloc(70 * 1024, 'a')]);
    await feeder.send([claim(9002, 'fixture', { phoneNumber: 'park-me' })]);
    await feeder.send([claim(9003)], {}); // no headers at all: still fine
    await waitFor('5 dead letters', () => bed.collector.on(dlq).length >= 5, 30000);
    const reasons = bed.collector.on(dlq).map((m) => m.headers[DLQ_HEADERS.reason]);
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^MALFORMED_JSON/),
        expect.stringMatching(/^SCHEMA_VIOLATION: talkLinked/),
        expect.stringMatching(/^SCHEMA_VIOLATION/),
        expect.stringMatching(/^TOO_LARGE/),
        'SCHEMA_VIOLATION: phoneNumber: park-me is no phone number',
      ]),
    );
    const first = bed.collector.on(dlq).find((m) => m.value === '{not json');
    expect(first?.headers[DLQ_HEADERS.sourceTopic]).toBe(Topics.claimRequested.name);
    expect(first?.headers[DLQ_HEADERS.sourceOffset]).toMatch(/^\d+$/);
    await waitFor('the valid message after the bad ones', async () => (await effects()).get('ev-9003') === 1);
  });

  it('dead-letters only the message whose handler fails permanently; its neighbours are applied', async () => {
    const dlq = bed.prefix + dlqName(Topics.claimRequested.name);
    const before = bed.collector.on(dlq).length;
    await feeder.send([claim(9100), { ...claim(9101), accountId: 'acct-poison' }, claim(9102)]);
    await waitFor('poison in DLQ', () => bed.collector.on(dlq).length > before, 30000);
    const parked = bed.collector.on(dlq).slice(before);
    expect(parked).toHaveLength(1);
    expect(parked[0]?.headers[DLQ_HEADERS.reason]).toMatch(/^HANDLER_ERROR: Error: poison acct-poison/);
    await waitFor('neighbours applied', async () => {
      const e = await effects();
      return e.get('ev-9100') === 1 && e.get('ev-9102') === 1;
    });
  });

  it('ServiceHarness: after settle() every effect of what was fed is consumed, published and collected', async () => {
    const harness = new ServiceHarness(bed.app);
    try {
      // The fixture has no domain dedupe: the same event fed three times is three effects and three decisions.
      const again = claim(7001, 'harness');
      await harness.feed('claimRequested', [again, again, { key: 'other-partition', value: again }]);
      await harness.feed('claimRequested', [{ key: 'raw', value: '{not json 7001' }]);
      const decided = bed.prefix + Topics.claimDecided.name;
      const dlq = bed.prefix + dlqName(Topics.claimRequested.name);
      await harness.settle(bed.collector, [decided, dlq]);
      // no waiting from here on: every count is final
      expect((await effects()).get('ev-7001')).toBe(3);
      expect(bed.collector.on(decided).filter((m) => m.json<{ eventId: string }>().eventId === 'ev-7001')).toHaveLength(3);
      expect(bed.collector.on(dlq).filter((m) => m.value === '{not json 7001')).toHaveLength(1);
      const { rows } = await bed.pg.query('SELECT count(*)::int AS n FROM outbox_message');
      expect(rows[0].n).toBe(0);
    } finally {
      await harness.dispose();
    }
  });
});
