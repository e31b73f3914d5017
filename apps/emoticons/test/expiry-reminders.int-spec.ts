import { PayloadOf, Topics } from '@platform/contracts';
import { ManualClock } from '@platform/messaging';
import { waitFor } from '@platform/testing';
import { ExpirySweep } from '../src/entitlements/expiry.sweep';
import { acceptedDecision, download, EmoticonsTestBed, HEART_PACK_REWARDS } from './helpers';

jest.setTimeout(60_000);

type Reminder = PayloadOf<'entitlementExpiringSoon'>;
const DAY = 86_400_000;
const LEAD_S = 5;
const T0 = new Date('2023-01-10T03:00:00Z');

describe('emoticons: expiry reminders (issue 19; real Kafka + Postgres)', () => {
  const clock = new ManualClock(T0);
  let bed: EmoticonsTestBed;
  const reminders = (): Reminder[] => bed.read('entitlementExpiringSoon');
  // the shortest validity packs allow (whole days) and a seconds-scale lead; the permanent pack
  // carries a lead too, to show it is never reminded
  const rewards = {
    ...HEART_PACK_REWARDS,
    emoticons: HEART_PACK_REWARDS.emoticons.map((e) => ({
      ...e,
      validityDays: e.validityDays === null ? null : 1,
      remindBeforeExpirySeconds: LEAD_S,
    })),
  };
  const end = T0.getTime() + DAY; // of packs first downloaded at T0
  const startApp = () => bed.startEmoticons({}, { clock });

  beforeAll(async () => {
    bed = await EmoticonsTestBed.start('emoticons-remind', { collect: [Topics.entitlementExpiringSoon.name] });
    await startApp();
    await bed.feeder.send('claimDecided', [
      acceptedDecision('r-1', { rewards }),
      acceptedDecision('r-2', { rewards }), // never downloads: its clocks never start, no reminder
      acceptedDecision('r-3', { rewards: HEART_PACK_REWARDS }), // the 2023 lead (7 days)
    ]);
    await waitFor('9 grants', async () => (await bed.pg.query(`SELECT 1 FROM entitlement`)).rowCount === 9);
    await bed.feeder.send(
      'emoticonDownloaded',
      ['choonsik-friends-2', 'tosimi-tomungi', 'broken-bear'].flatMap((p) => [
        download(`d1-${p}`, 'r-1', p, T0),
        download(`d3-${p}`, 'r-3', p, T0),
      ]),
    );
    await waitFor(
      '6 first downloads',
      async () => (await bed.pg.query(`SELECT 1 FROM entitlement WHERE first_downloaded_at IS NOT NULL`)).rowCount === 6,
    );
  });

  afterAll(() => bed?.close());

  it('reminds each running time-limited pack once, lead seconds before expiresAt; never a permanent or unstarted pack', async () => {
    const sweeper = bed.app.get(ExpirySweep);
    clock.set(new Date(end - LEAD_S * 1000 - 1));
    expect(await sweeper.remindOnce()).toBe(0);
    clock.set(new Date(end - LEAD_S * 1000));
    // two sweeps at once (as two replicas would): between them, each due pack once
    const [a, b] = await Promise.all([sweeper.remindOnce(), sweeper.remindOnce()]);
    expect(a + b).toBe(2);
    expect(await sweeper.remindOnce()).toBe(0);
    await bed.settled(Topics.entitlementExpiringSoon.name);
    expect(
      reminders()
        .map((r) => `${r.accountId}/${r.emoticonId}`)
        .sort(),
    ).toEqual(['r-1/broken-bear', 'r-1/tosimi-tomungi']);
    expect(reminders().find((r) => r.emoticonId === 'broken-bear')).toMatchObject({
      accountId: 'r-1',
      campaignId: 'kakao-2023-heart-pack',
      expiresAt: new Date(end).toISOString(),
      remindedAt: new Date(end - LEAD_S * 1000).toISOString(),
    });
  });

  it('never twice: after a restart, and after the pack expired, nothing more', async () => {
    await bed.closeApp();
    await startApp();
    const sweeper = bed.app.get(ExpirySweep);
    clock.set(new Date(end - 1));
    expect(await sweeper.remindOnce()).toBe(0);
    clock.set(new Date(end));
    expect(await sweeper.sweepOnce()).toBe(2);
    expect(await sweeper.remindOnce()).toBe(0);
    // r-3's 90-day packs: due 7 days before their end, reminded then, once
    const end3 = T0.getTime() + 90 * DAY;
    clock.set(new Date(end3 - 7 * DAY));
    expect(await sweeper.remindOnce()).toBe(2);
    expect(await sweeper.remindOnce()).toBe(0);
    await bed.settled(Topics.entitlementExpiringSoon.name);
    expect(reminders()).toHaveLength(4);
    expect(new Set(reminders().map((r) => r.entitlementId)).size).toBe(4);
    expect(reminders().some((r) => r.accountId === 'r-2' || r.emoticonId === 'choonsik-friends-2')).toBe(false);
  });
});
