import { dlqName, PayloadOf, Topics } from '@platform/contracts';
import { DLQ_HEADERS } from '@platform/messaging';
import { waitFor } from '@platform/testing';
import { accepted, campaignRow, PassTestBed } from './helpers';

jest.setTimeout(120_000);

type Decided = PayloadOf<'passRegistrationDecided'>;

/**
 * A registration that races the sender: the pass is being delivered (or delivered, not yet
 * committed) when the user registers it. The request waits for the commit instead of being told
 * NOT_SENT_YET about a pass already in their drawer; one eventId gets one answer.
 */
describe('pass registration while the sender holds the delivery', () => {
  const campaignId = 'heart-pack-registration-wait';
  let bed: PassTestBed;

  beforeAll(async () => {
    bed = await PassTestBed.start('passes-registration-wait', {
      sim: { SIM_RATE_LIMIT_PER_SECOND: '0', SIM_LATENCY_MEDIAN_MS: '0' },
      collect: [Topics.passRegistrationDecided.name, dlqName(Topics.passRegistrationRequested.name)],
    });
    await bed.startDispatcher({ REGISTRATION_NOT_SENT_WAIT_MS: '60000' });
  });

  afterAll(() => bed?.close());

  const answers = (eventId: string): Decided[] => bed.read('passRegistrationDecided').filter((d) => d.eventId === eventId);

  it('waits for a delivery in flight and then registers; NOT_SENT_YET only for a pass far behind', async () => {
    await bed.sim.configure({ outage: true }); // the sender keeps trying slot 1
    const claimed = new Date(Date.now() - 60_000);
    await bed.feeder.send(
      'claimDecided',
      Array.from({ length: 3 }, (_, i) => accepted(i, { campaignId, requestedAt: claimed })),
    );
    await waitFor('3 reserved', async () => (await campaignRow(bed.pg, campaignId))?.reserved === 3, 30_000, 100);
    const first = (await bed.pg.query<{ pass_id: string; account_id: string }>('SELECT pass_id, account_id FROM pass WHERE slot = 1'))
      .rows[0];
    if (!first) throw new Error('slot 1 missing');

    await bed.feeder.send('passRegistrationRequested', [
      { eventId: 'reg-racing', passId: first.pass_id, accountId: first.account_id, requestedAt: new Date().toISOString() },
    ]);
    await waitFor(
      'deferred',
      async () => (await bed.pg.query(`SELECT 1 FROM deferred_message WHERE reason LIKE 'NOT_SENT_YET: slot 1 %'`)).rowCount === 1,
      30_000,
    );
    expect(answers('reg-racing')).toHaveLength(0);

    await bed.sim.configure({ outage: false }); // the delivery goes through and is committed
    await waitFor('registered once sent', () => answers('reg-racing').length === 1, 60_000);
    expect(answers('reg-racing')[0]).toMatchObject({ status: 'REGISTERED', passId: first.pass_id });
    // no second answer: the deferred request is done (row gone) and everything emitted has been read
    await waitFor('deferred request done', async () => (await bed.pg.query('SELECT 1 FROM deferred_message')).rowCount === 0, 30_000);
    await bed.drained(Topics.passRegistrationDecided.name);
    expect(answers('reg-racing')).toHaveLength(1);
  });

  it('parks the same eventId with another body as EVENT_ID_REUSED and keeps the stored answer', async () => {
    const p = (await bed.pg.query<{ pass_id: string; account_id: string }>('SELECT pass_id, account_id FROM pass WHERE slot = 2')).rows[0];
    if (!p) throw new Error('slot 2 missing');
    await bed.feeder.send('passRegistrationRequested', [
      { eventId: 'reg-reused', passId: p.pass_id, accountId: 'someone-else', requestedAt: new Date().toISOString() },
    ]);
    await waitFor('first answer', () => answers('reg-reused').length === 1, 30_000);
    await bed.feeder.send('passRegistrationRequested', [
      { eventId: 'reg-reused', passId: p.pass_id, accountId: p.account_id, requestedAt: new Date().toISOString() },
    ]);
    const dlq = () => bed.on(dlqName(Topics.passRegistrationRequested.name));
    await waitFor('parked', () => dlq().length === 1, 30_000);
    expect(dlq()[0]?.headers[DLQ_HEADERS.reason]).toMatch(/^EVENT_ID_REUSED/);
    expect(answers('reg-reused')).toEqual([expect.objectContaining({ status: 'REJECTED', reason: 'NOT_OWNER' })]);
  });
});
