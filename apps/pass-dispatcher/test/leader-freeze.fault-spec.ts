import { waitFor } from '@platform/testing';
import { accepted, dbClient, Delivery, DispatcherProcess, expectInOrderExactlyOnce, PassTestBed, untilTime } from './helpers';

jest.setTimeout(180_000);

/**
 * A frozen leader (SIGSTOP: alive, holding its lock connection, not heartbeating). Postgres ends
 * its idle lock session after LEADER_SESSION_TIMEOUT_MS, the other replica takes over and raises the
 * epoch; when the old leader wakes up (SIGCONT) it still believes it leads for a moment: its sends
 * are duplicates or in order, its watermark writes are fenced, and it stops.
 */
describe('a frozen sender is replaced and fenced', () => {
  const N = 500;
  const campaignId = 'freeze-campaign';
  let bed: PassTestBed;
  const children = new Map<string, DispatcherProcess>();

  beforeAll(async () => {
    bed = await PassTestBed.start('passes-freeze', {
      sim: { SIM_RATE_LIMIT_PER_SECOND: '0', SIM_LATENCY_MEDIAN_MS: '1', SIM_LATENCY_P99_MS: '10' },
    });
    bed.pg.on('error', () => undefined);
  });

  afterAll(() => bed?.close());

  async function startDispatcher(instance: string, group: string): Promise<DispatcherProcess> {
    const child = await bed.spawnDispatcher(instance, {
      CONSUMER_GROUP: group,
      DISPATCH_RATE_PER_SECOND: '50',
      LEADER_POLL_MS: '300',
      LEADER_SESSION_TIMEOUT_MS: '3000',
    });
    children.set(instance, child);
    return child;
  }

  const delivered = async (): Promise<Delivery[]> => (await bed.sim.deliveries()).filter((d) => d.campaignId === campaignId);
  const leader = async () =>
    (
      await bed.pg.query<{ leader_id: string; leader_epoch: string; sent_watermark: number }>(
        'SELECT leader_id, leader_epoch, sent_watermark FROM pass_campaign WHERE campaign_id = $1',
        [campaignId],
      )
    ).rows[0];

  it('takes over after the lock session times out; the woken old leader neither reorders nor doubles', async () => {
    const group = `pass-dispatcher-freeze-${Date.now()}`;
    await Promise.all([startDispatcher('dispatcher-a', group), startDispatcher('dispatcher-b', group)]);
    await bed.feeder.send(
      'claimDecided',
      Array.from({ length: N }, (_, i) => accepted(i, { campaignId })),
    );
    await waitFor('under way', async () => (await delivered()).length >= 100, 60_000, 100);
    const before = await leader();
    if (!before) throw new Error('no leader');
    const frozen = children.get(before.leader_id);
    if (!frozen) throw new Error(`unknown leader ${before.leader_id}`);
    frozen.kill('SIGSTOP');
    const frozenAt = Date.now();
    // As if frozen inside a watermark commit: the campaign row stays locked for longer than the lock
    // session's idle timeout, so the takeover UPDATE waits behind it. The new leader's lock session
    // must stay alive through that wait (it once was ended as idle, and leadership flapped).
    const rowHolder = await dbClient(bed.db);
    await rowHolder.query('BEGIN');
    await rowHolder.query('SELECT 1 FROM pass_campaign WHERE campaign_id = $1 FOR UPDATE', [campaignId]);
    // domain time, not synchronisation: the row stays locked 7 s, past the 3 s lock session timeout
    const rowReleased = (async () => {
      await untilTime(frozenAt + 7000);
      await rowHolder.query('COMMIT').catch(() => undefined);
      await rowHolder.end().catch(() => undefined);
    })();
    const after = await waitFor(
      'takeover',
      async () => {
        const l = await leader();
        return l && l.leader_id !== before.leader_id ? l : null;
      },
      30_000,
      100,
    );
    const tookMs = Date.now() - frozenAt;
    await rowReleased;
    expect(Number(after.leader_epoch)).toBeGreaterThan(Number(before.leader_epoch));
    // not before the row holder let go (7 s, after Postgres ended the frozen session at 3 s), and not much later
    expect(tookMs).toBeGreaterThanOrEqual(6500);
    expect(tookMs).toBeLessThan(20_000);
    await waitFor('new leader progressing', async () => ((await leader())?.sent_watermark ?? 0) > before.sent_watermark + 50, 30_000, 100);

    frozen.kill('SIGCONT');
    await waitFor('all delivered and committed', async () => (await leader())?.sent_watermark === N, 60_000, 200);
    expectInOrderExactlyOnce(await delivered(), campaignId, N);
    const final = await leader();
    expect(final?.leader_id).toBe(after.leader_id);
    expect(final?.leader_epoch).toBe(after.leader_epoch);
    console.log(`frozen leader replaced after ${tookMs} ms; channel duplicates: ${(await bed.sim.stats()).duplicates}`);
  });
});
