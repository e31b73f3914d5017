import { INestApplication } from '@nestjs/common';
import { Topics } from '@platform/contracts';
import { MessagingRuntime, partitionFor } from '@platform/messaging';
import { waitFor } from '@platform/testing';
import { appBearer, accepted, campaignRow, PassTestBed, rejected } from './helpers';

jest.setTimeout(90_000);

/**
 * R7 / I4 with two dispatcher replicas racing on one database and one consumer group: cap 1,000
 * (from the decision's rewards.pass.cap), 1,500 accepted claims, some decisions published twice
 * (same claim at another offset), rejected claims and a campaign without a pass mixed in.
 */
describe('pass reservation: cap exactness with two replicas', () => {
  const campaignId = 'heart-pack-cap-test';
  let bed: PassTestBed;
  let apps: INestApplication[] = [];

  beforeAll(async () => {
    bed = await PassTestBed.start('passes-reservation', { collect: [Topics.passReserved.name, Topics.passSoldOut.name] });
    // Same group for both: Kafka splits the partitions between them; both lock the same campaign row.
    const group = `pass-dispatcher-race-${Date.now()}`;
    const replica = (instance: string) =>
      bed.startDispatcher({ CONSUMER_GROUP: group, INSTANCE_ID: instance, DISPATCH_ENABLED: 'false', CONSUMER_CHUNK_SIZE: '100' });
    apps = await Promise.all([replica('replica-a'), replica('replica-b')]);
  });

  afterAll(() => bed?.close());

  it('gives slots 1..1000 exactly once, in acceptance order per partition, and 500 SOLD_OUT', async () => {
    const decisions = Array.from({ length: 1500 }, (_, i) => accepted(i, { campaignId, pass: { cap: 1000 } }));
    const noPass = Array.from({ length: 20 }, (_, i) => accepted(i, { campaignId: 'campaign-without-pass', pass: null }));
    const rejections = Array.from({ length: 50 }, (_, i) => rejected(i, campaignId));
    // publish in slices, so both replicas work at the same time; re-publish 100 decisions (a producer retry)
    for (let i = 0; i < 1500; i += 300)
      await bed.feeder.send('claimDecided', [...decisions.slice(i, i + 300), ...(i === 0 ? rejections : [])]);
    await bed.feeder.send('claimDecided', [...noPass, ...decisions.slice(200, 300)]);

    await waitFor(
      '1000 reserved + 500 sold out',
      () => bed.on(Topics.passReserved.name).length >= 1000 && bed.on(Topics.passSoldOut.name).length >= 500,
      60_000,
    );
    // anything extra (a decision reserved twice) would be emitted with the last ones: drain, then count exactly
    await bed.drained(Topics.passReserved.name, Topics.passSoldOut.name);

    const reserved = bed.read('passReserved');
    const soldOut = bed.read('passSoldOut');
    expect(reserved).toHaveLength(1000);
    expect(soldOut).toHaveLength(500);
    expect(reserved.map((r) => r.slot).sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    expect(soldOut.every((s) => s.cap === 1000 && s.campaignId === campaignId)).toBe(true);
    const claimIds = new Set([...reserved.map((r) => r.claimId), ...soldOut.map((s) => s.claimId)]);
    expect(claimIds.size).toBe(1500);
    expect([...claimIds].every((id) => decisions.some((d) => d.claimId === id))).toBe(true);
    // events carry the claim's identity and time
    const byClaim = new Map(decisions.map((d) => [d.claimId, d]));
    for (const r of reserved) {
      const d = byClaim.get(r.claimId);
      expect(r).toMatchObject({ accountId: d?.accountId, eventId: d?.eventId, campaignId, claimedAt: d?.requestedAt });
    }
    // acceptance order: within one partition (one replica processes it in offset order) slots rise with publish order
    const slotOf = new Map(reserved.map((r) => [r.claimId, r.slot]));
    const partitions = new Map<number, number[]>();
    for (const d of decisions) {
      const slot = slotOf.get(d.claimId);
      if (slot === undefined) continue;
      const p = partitionFor(bed.prefix + Topics.claimDecided.name, d.accountId, Topics.claimDecided.partitions);
      partitions.set(p, [...(partitions.get(p) ?? []), slot]);
    }
    for (const slots of partitions.values()) expect(slots).toEqual([...slots].sort((a, b) => a - b));

    // the database agrees: counter at the cap, unique contiguous slots, sold-out rows
    expect(await campaignRow(bed.pg, campaignId)).toMatchObject({ reserved: 1000, sold_out: '500' });
    const { rows } = await bed.pg.query<{ n: number; min: number; max: number; distinct_slots: number; distinct_claims: number }>(
      `SELECT count(*)::int AS n, min(slot) AS min, max(slot) AS max, count(DISTINCT slot)::int AS distinct_slots, count(DISTINCT claim_id)::int AS distinct_claims
         FROM pass WHERE campaign_id = $1`,
      [campaignId],
    );
    expect(rows[0]).toEqual({ n: 1000, min: 1, max: 1000, distinct_slots: 1000, distinct_claims: 1000 });
    const sold = await bed.pg.query<{ n: number }>('SELECT count(*)::int AS n FROM pass_sold_out WHERE campaign_id = $1', [campaignId]);
    expect(sold.rows[0]?.n).toBe(500);
    // no pass for rejected claims nor for a campaign that offers none
    const other = await bed.pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM pass WHERE campaign_id <> $1`, [campaignId]);
    expect(other.rows[0]?.n).toBe(0);
    // it was a race: both replicas applied decisions
    for (const app of apps) {
      const worked = app
        .get(MessagingRuntime)
        .consumers.flatMap((c) => [...c.lag.keys()])
        .filter((k) => k.startsWith(Topics.claimDecided.name));
      expect(worked.length).toBeGreaterThan(0);
    }
  });

  it('answers an account lookup and the status endpoint', async () => {
    const app = apps[0];
    if (!app) throw new Error('no app');
    await app.listen(0, '127.0.0.1');
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const reader = await appBearer(app, 'reader');
    const status = (await (await fetch(`${url}/passes/status`, { headers: reader })).json()) as {
      campaigns: { campaignId: string; reserved: number; remaining: number; soldOut: number; watermark: number; queued: number }[];
    };
    expect(status.campaigns).toEqual([
      expect.objectContaining({ campaignId, reserved: 1000, remaining: 0, soldOut: 500, watermark: 0, queued: 1000 }),
    ]);
    const { rows } = await bed.pg.query<{ account_id: string; slot: number }>(
      'SELECT account_id, slot FROM pass WHERE slot = 7 AND campaign_id = $1',
      [campaignId],
    );
    const account = rows[0]?.account_id ?? '';
    const mine = (await (await fetch(`${url}/passes/${account}`, { headers: reader })).json()) as {
      passes: { slot: number; state: string }[];
    };
    expect(mine.passes).toEqual([expect.objectContaining({ slot: 7, state: 'QUEUED' })]);
    expect((await fetch(`${url}/passes/campaigns/nope/pause`, { method: 'POST', headers: await appBearer(app, 'ops') })).status).toBe(404);
  });
});
