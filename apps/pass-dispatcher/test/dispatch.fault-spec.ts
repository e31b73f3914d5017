import { Topics } from '@platform/contracts';
import { killHard, waitFor } from '@platform/testing';
import { accepted, Delivery, DispatcherProcess, expectInOrderExactlyOnce, PassTestBed } from './helpers';

jest.setTimeout(180_000);

/**
 * I5 across kill -9: dispatchers run as real processes (main.ts). Two replicas share the work;
 * the sender of a campaign is killed mid-dispatch and the other replica takes over (advisory lock
 * freed with the dead connection); then that one is killed too and a fresh process resumes from the
 * watermark. The channel simulator's record must show slots 1..N, in order, each exactly once.
 */
describe('dispatch survives kill -9 of its sender', () => {
  const N = 600;
  const campaigns = ['fault-campaign-1', 'fault-campaign-2'];
  let bed: PassTestBed;
  let group: string;
  const children = new Map<string, DispatcherProcess>();

  beforeAll(async () => {
    bed = await PassTestBed.start('passes-fault', {
      sim: { SIM_RATE_LIMIT_PER_SECOND: '0', SIM_LATENCY_MEDIAN_MS: '1', SIM_LATENCY_P99_MS: '10' },
      collect: [Topics.passSent.name],
    });
    bed.pg.on('error', () => undefined);
    group = `pass-dispatcher-fault-${Date.now()}`;
  });

  afterAll(() => bed?.close());

  async function startDispatcher(instance: string): Promise<DispatcherProcess> {
    const child = await bed.spawnDispatcher(instance, {
      CONSUMER_GROUP: group,
      DISPATCH_RATE_PER_SECOND: '50',
      DISPATCH_MAX_UNCOMMITTED: '20',
      LEADER_POLL_MS: '300',
      LEADER_SESSION_TIMEOUT_MS: '3000',
    });
    children.set(instance, child);
    return child;
  }

  const delivered = async (campaignId: string): Promise<Delivery[]> =>
    (await bed.sim.deliveries()).filter((d) => d.campaignId === campaignId);
  const leaders = async (): Promise<Map<string, { leader: string; epoch: number; watermark: number }>> => {
    const r = await bed.pg.query<{ campaign_id: string; leader_id: string; leader_epoch: string; sent_watermark: number }>(
      'SELECT campaign_id, leader_id, leader_epoch, sent_watermark FROM pass_campaign',
    );
    return new Map(r.rows.map((x) => [x.campaign_id, { leader: x.leader_id, epoch: Number(x.leader_epoch), watermark: x.sent_watermark }]));
  };

  it('a second replica takes over from a killed leader; a fresh process resumes after the last one is killed', async () => {
    await Promise.all([startDispatcher('dispatcher-a'), startDispatcher('dispatcher-b')]);
    await bed.feeder.send(
      'claimDecided',
      campaigns.flatMap((campaignId) => Array.from({ length: N }, (_, i) => accepted(i, { campaignId }))),
    );

    // 1) leader takeover: kill campaign 1's sender mid-dispatch
    await waitFor('campaign 1 under way', async () => (await delivered(campaigns[0] ?? '')).length >= 150, 60_000, 100);
    const before = await leaders();
    const first = before.get(campaigns[0] ?? '');
    if (!first) throw new Error('no leader recorded');
    const victim = children.get(first.leader);
    const survivor = first.leader === 'dispatcher-a' ? 'dispatcher-b' : 'dispatcher-a';
    if (!victim) throw new Error(`unknown leader ${first.leader}`);
    await killHard(victim);
    children.delete(first.leader);
    const atKill = (await delivered(campaigns[0] ?? '')).length;
    expect(atKill).toBeLessThan(N);
    await waitFor(
      'survivor leads both campaigns',
      async () => [...(await leaders()).values()].every((l) => l.leader === survivor),
      20_000,
      100,
    );
    await waitFor('campaign 1 progressing again', async () => (await delivered(campaigns[0] ?? '')).length >= atKill + 50, 30_000, 100);

    // 2) kill -9 of the only sender mid-dispatch, then start another process
    const c2 = (await delivered(campaigns[1] ?? '')).length;
    const survivorProcess = children.get(survivor);
    if (!survivorProcess) throw new Error('survivor missing');
    const remaining = await leaders();
    expect([...remaining.values()].some((l) => l.watermark < N)).toBe(true);
    await killHard(survivorProcess);
    children.delete(survivor);
    // drain: the process has exited (killHard waits for it) and Postgres has closed its sessions (its
    // leader locks are gone), so its sockets are closed; then nobody sends while no dispatcher runs
    await waitFor(
      'killed leader sessions closed',
      async () =>
        (
          await bed.pg.query(
            `SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND classid = 727100 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
          )
        ).rowCount === 0,
      15_000,
      50,
    );
    const stalled = (await bed.sim.deliveries()).length;
    expect((await bed.sim.deliveries()).length).toBe(stalled);
    await startDispatcher('dispatcher-z');
    await waitFor('all delivered and committed', async () => [...(await leaders()).values()].every((l) => l.watermark === N), 90_000, 200);

    const final = await leaders();
    for (const campaignId of campaigns) {
      const deliveries = await delivered(campaignId);
      expectInOrderExactlyOnce(deliveries, campaignId, N);
      expect(final.get(campaignId)?.leader).toBe('dispatcher-z');
      expect(final.get(campaignId)?.epoch).toBeGreaterThanOrEqual(2);
    }
    const audit = await bed.sim.audit();
    expect(
      audit.campaigns
        .map((c) => ({ id: c.campaignId, inOrder: c.inOrder, unique: c.unique, contiguous: c.contiguousFromOne, n: c.delivered }))
        .sort((a, b) => a.id.localeCompare(b.id)),
    ).toEqual(campaigns.map((id) => ({ id, inOrder: true, unique: true, contiguous: true, n: N })));
    // every slot got its sent event (committed with the watermark, so none is lost to the kills)
    await waitFor('sent events', () => new Set(bed.on(Topics.passSent.name).map((m) => m.value)).size >= 2 * N, 30_000);
    const sent = bed.read('passSent');
    for (const campaignId of campaigns) {
      expect(new Set(sent.filter((s) => s.campaignId === campaignId).map((s) => s.slot)).size).toBe(N);
    }
    const stats = await bed.sim.stats();
    console.log(
      `kill -9 drill: campaign 2 had ${c2} deliveries at the second kill; channel saw ${stats.duplicates} duplicate sends (resent after a kill, answered from the idempotency record)`,
    );
  });
});
